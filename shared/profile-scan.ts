/**
 * One chunk of one parallel scan segment of the profiles: a campaign worker's share of a recurring
 * run, as the rules engine's port asks for it and the profile reader fills it.
 */
export interface ProfileScanScope {
  readonly segment: number;
  readonly segments: number;
  /** Where the previous chunk stopped (the scan's key, as JSON); absent: the segment's start. */
  readonly after?: string;
  /** Profiles in this chunk at most, give or take the rest of the page that reached it. */
  readonly limit: number;
  /** Told where the chunk stopped once it has: the key to go on from, or undefined at the segment's end. */
  stopped(after: string | undefined): void;
}
