import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; the level comes from POWERTOOLS_LOG_LEVEL (the stack and local runtime set it). */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}
