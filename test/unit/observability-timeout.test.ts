import type { Context } from 'aws-lambda';
import { Observability } from '#shared/observability.js';

describe('an invocation about to time out', () => {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  beforeAll(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  });

  it('fails before Lambda stops it, with the counts it kept written', async () => {
    const observability = new Observability('timeouts');
    let stop: (() => void) | undefined;
    const stuck = observability.handler(async () => {
      observability.countIn('order.completed', 3);
      // A call that never answers in time (a throttled table, a slow platform).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        stop = () => clearTimeout(timer);
      });
    });
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    const deadline = Date.now() + 400;
    const context = { awsRequestId: 'r-1', functionName: 'nudge-timeouts', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
    try {
      await expect(stuck({}, context)).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      process.stdout.write = write;
      stop?.();
    }
    // Given up before Lambda would stop it, with the counts on stdout as CloudWatch reads them.
    const metrics = written.flatMap((line) => line.split('\n')).filter((line) => line.includes('"EventsIn"'));
    expect(metrics.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ EventsIn: 3, DetailType: 'order.completed', service: 'timeouts' })]);
  });
});
