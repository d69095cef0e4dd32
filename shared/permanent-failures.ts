import type { DeadLetters } from './adapters/dead-letters.js';
import type { Observability } from './observability.js';
import { isPermanent, type PermanentError } from './result.js';

/**
 * The line between failures worth retrying and failures that are not. A `PermanentError` (an event
 * that breaks its contract, such as a customer event with no identity key) goes to the consumer's dead-letter queue at
 * once, with its reason, and the delivery counts as done: Lambda's two retries or SQS's receives
 * would end in the same place minutes later, holding a batch up meanwhile. Any other error is
 * thrown on, for the platform to retry (a throttle, a timeout, a race lost too often).
 */
export class PermanentFailures {
  constructor(
    private readonly deadLetters: DeadLetters,
    private readonly observability: Observability,
  ) {}

  /** A bus consumer's handler, with permanent failures dead-lettered at once. */
  handling<E>(handle: (event: E) => Promise<void>): (event: E) => Promise<void> {
    return (event) =>
      this.run(
        () => JSON.stringify(event),
        () => handle(event),
      );
  }

  /**
   * Runs the work for one event (`body` is how it is written to the dead-letter queue, as the
   * platform would). `concerning` is told of a permanent failure first, to report what it means
   * (dispatch says `message.failed`).
   */
  async run(body: () => string, work: () => Promise<void>, concerning?: (error: PermanentError) => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!isPermanent(error)) throw error;
      if (concerning) await concerning(error);
      await this.deadLetters.send(body(), error.reason);
      this.observability.logger.error('Sent to the dead-letter queue at once: no retry can mend it', { reason: error.reason });
      this.observability.counted('PermanentFailures', {});
    }
  }
}
