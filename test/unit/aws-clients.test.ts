import { awsClients, serviceAnswered } from '#shared/adapters/aws-clients.js';

describe('telling a refused AWS call from one that may have been carried out', () => {
  it.each([
    ['a throttling answer (429)', { $metadata: { httpStatusCode: 429, attempts: 1 } }, true],
    ['a service error (500)', { $metadata: { httpStatusCode: 500, attempts: 1 } }, true],
    ['a 200 whose body was cut off', { $metadata: { httpStatusCode: 200, attempts: 1 } }, false],
    ['a timeout, which the SDK also gives $metadata', { name: 'TimeoutError', $metadata: { attempts: 1 } }, false],
    ['a reset connection without metadata', { name: 'ECONNRESET' }, false],
  ])('knows whether %s was refused', (_what, error, refused) => {
    expect(serviceAnswered(error)).toBe(refused);
  });
});

describe('AWS clients', () => {
  it('call SES and End User Messaging once per attempt, and the idempotent services up to three times', async () => {
    expect(await awsClients.ses().config.maxAttempts()).toBe(1);
    expect(await awsClients.sms().config.maxAttempts()).toBe(1);
    for (const make of [awsClients.dynamoDb, awsClients.eventBridge, awsClients.scheduler, awsClients.secretsManager])
      expect(await make().config.maxAttempts()).toBe(3);
  });
});
