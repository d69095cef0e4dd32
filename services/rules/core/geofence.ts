import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import distance from '@turf/distance';
import { lineString, point, polygon } from '@turf/helpers';
import pointToLineDistance from '@turf/point-to-line-distance';
import { z } from 'zod';

const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);
const Position = z.object({ latitude: Latitude, longitude: Longitude }).strict();

/** Default band outside a geofence's edge that a person must pass before they count as gone. */
export const defaultHysteresisMeters = 30;

export const Geofence = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-case letters, digits and dashes, such as "store-berlin"'),
    name: z.string().optional(),
    circle: Position.extend({ radiusMeters: z.number().positive().max(100_000) })
      .strict()
      .optional(),
    polygon: z.array(Position).min(3).optional().meta({ description: 'Corners in order; the last joins the first.' }),
    hysteresisMeters: z
      .number()
      .nonnegative()
      .max(5_000)
      .optional()
      .meta({
        description: `How far outside the edge a person must be to have left (default ${defaultHysteresisMeters}): GPS jitter at the border does not fire again.`,
      }),
  })
  .strict()
  .superRefine((fence, context) => {
    if ((fence.circle === undefined) === (fence.polygon === undefined))
      context.addIssue({ code: 'custom', path: [], message: 'a geofence is either a "circle" or a "polygon"' });
  });
export type Geofence = z.infer<typeof Geofence>;

export const GeofencesFile = z.object({ $schema: z.string().optional(), geofences: z.array(Geofence) }).strict();

/** Where a person is with respect to one geofence, as far as the latest location report says. */
export interface PlaceState {
  readonly inside: boolean;
  /** When they last entered or left. */
  readonly since: number;
  /** The time of the latest report applied: an older report arriving late changes nothing. */
  readonly lastAt: number;
  /** The report that entered, naming this visit (a dwell timer and its message). */
  readonly entryId: string | undefined;
}

export interface LocationReport {
  readonly eventId: string;
  readonly at: number;
  readonly latitude: number;
  readonly longitude: number;
}

/** Metres from the edge: negative inside, positive outside. */
export function signedDistanceMeters(fence: Geofence, report: LocationReport): number {
  const here = point([report.longitude, report.latitude]);
  if (fence.circle) {
    const centre = point([fence.circle.longitude, fence.circle.latitude]);
    return distance(centre, here, { units: 'meters' }) - fence.circle.radiusMeters;
  }
  // The schema makes a geofence either a circle or a polygon.
  const corners = (fence.polygon as readonly z.infer<typeof Position>[]).map(({ latitude, longitude }) => [longitude, latitude]);
  const ring = [...corners, corners[0] as number[]];
  const edge = pointToLineDistance(here, lineString(ring), { units: 'meters' });
  return booleanPointInPolygon(here, polygon([ring])) ? -edge : edge;
}

export type Transition = 'enter' | 'exit';

/**
 * Applies a location report. A person enters when the report is inside the edge, and leaves only
 * when it is more than the hysteresis band outside: reports that wobble across the border do not
 * enter and leave again and again.
 */
export function applyReport(fence: Geofence, state: PlaceState | undefined, report: LocationReport): { state: PlaceState; transition: Transition | undefined } {
  if (state !== undefined && report.at <= state.lastAt) return { state, transition: undefined };
  const signed = signedDistanceMeters(fence, report);
  const wasInside = state?.inside ?? false;
  if (!wasInside && signed <= 0) return { state: { inside: true, since: report.at, lastAt: report.at, entryId: report.eventId }, transition: 'enter' };
  if (wasInside && signed > (fence.hysteresisMeters ?? defaultHysteresisMeters))
    return { state: { inside: false, since: report.at, lastAt: report.at, entryId: undefined }, transition: 'exit' };
  return { state: { inside: wasInside, since: state?.since ?? report.at, lastAt: report.at, entryId: state?.entryId }, transition: undefined };
}
