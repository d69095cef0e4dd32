import { z } from 'zod';

const Days = z.number().positive().max(90);

/** `config/measurement.json`: how long after a message an order still counts for it. */
export const MeasurementConfig = z
  .object({
    attribution: z
      .object({
        afterOpenOrClickDays: Days.default(5).meta({ description: 'An order within this many days after an email was opened or clicked is its conversion.' }),
        afterSendDays: Days.default(1).meta({
          description: 'An order within this many days after a message was sent (any channel, opened or not) is its conversion.',
        }),
      })
      .strict()
      .default({ afterOpenOrClickDays: 5, afterSendDays: 1 }),
    holdout: z
      .object({
        windowDays: Days.default(5).meta({
          description: 'Messaged and held-out people are both followed this many days from the message (or the message they were kept from).',
        }),
      })
      .strict()
      .default({ windowDays: 5 }),
  })
  .strict();
export type MeasurementConfig = z.infer<typeof MeasurementConfig>;

export const defaultMeasurementConfig: MeasurementConfig = MeasurementConfig.parse({});
