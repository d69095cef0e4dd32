import { lambdaLogging, tracingByDefault } from '#shared/topology.js';
import { awsPrices, platformLogBytesPerInvocation } from './aws-prices.js';
import { costServices, type KindCost, measureCost, mixUsage, perMillionEvents, shopMix, type Usage } from './cost.js';

const format = (value: number) => Math.round(value).toLocaleString('en-US');

/** The all-in cost table of `npm run bench` (alone: `npm run bench:cost`), ending with the line to compare across runs. */
export async function printCost(projectDir: string): Promise<void> {
  console.log('\nAll in: what AWS bills for each kind of event, sent through the local runtime as a shop sends it (real payloads, signed)');
  console.log('by customers who have a profile, one event at a time; every AWS call counted at a meter (DynamoDB, EventBridge, Scheduler,');
  console.log("SQS, Secrets Manager, SES), every invocation timed alone (GB-seconds at the stack's 512 MB), what the functions log counted");
  console.log(
    `at the stack's level (${lambdaLogging.applicationLevel}, metrics on; Lambda's own lines ${platformLogBytesPerInvocation === 0 ? 'off' : 'on'}); X-Ray ${tracingByDefault ? 'on' : 'off'}, as deployed by default; 61 days then pass,`,
  );
  console.log(
    `so the timers each kind set fire and count with it. Prices: ${awsPrices.region} on demand, noted ${awsPrices.notedOn} (bench/aws-prices.ts); message fees left out.`,
  );
  const cost = await measureCost(projectDir);
  console.log('Floor: the least this architecture must call for the same events (see the README, Performance); its functions run for the');
  console.log(`baseline hop timed in the same run (one DynamoDB write and one PutEvents with the real clients): ${cost.hopMillis.toFixed(1)} ms.\n`);
  const dollars = (value: number) => value.toFixed(2);
  const serviceHeads = {
    'API Gateway': 'API GW',
    Lambda: 'Lambda',
    EventBridge: 'EventBridge',
    Scheduler: 'Scheduler',
    DynamoDB: 'DynamoDB',
    SQS: 'SQS',
    'Secrets Manager': 'Secrets',
    'CloudWatch Logs': 'Logs',
    'X-Ray': 'X-Ray',
  } as const;
  console.log(
    `$ per million events          ${costServices.map((service) => serviceHeads[service].padStart(serviceHeads[service].length > 7 ? serviceHeads[service].length : 7)).join(' ')}   all-in    floor  x floor`,
  );
  const costRow = (name: string, measured: Usage, floor: Usage) => {
    const all = perMillionEvents(measured);
    const least = perMillionEvents(floor);
    console.log(
      `${name.padEnd(28)} ${costServices.map((service) => dollars(all.services[service]).padStart(serviceHeads[service].length > 7 ? serviceHeads[service].length : 7)).join(' ')}  ${dollars(all.total).padStart(7)}  ${dollars(least.total).padStart(7)}  ${(all.total / least.total).toFixed(2).padStart(6)}x`,
    );
  };
  for (const kind of cost.kinds) costRow(kind.kind, kind.measured, kind.floor);
  const mixParts = (pick: (kind: KindCost) => Usage) =>
    shopMix.map((share) => {
      const kind = cost.kinds.find((candidate) => candidate.kind === share.kind);
      if (kind === undefined) throw new Error(`${share.kind} was not measured`);
      return { usage: pick(kind), weight: share.weight };
    });
  const mixMeasured = mixUsage(mixParts((kind) => kind.measured));
  const mixFloor = mixUsage(mixParts((kind) => kind.floor));
  const mixName = `mix: ${shopMix.map((share) => `${share.weight}% ${share.kind.replace(/ \(.*\)$/, '')}`).join(', ')}`;
  costRow('the mix (below)', mixMeasured, mixFloor);
  console.log(`\nThe mix: ${mixName.slice(5)}; a Segment batch is shown, not mixed.`);
  console.log('\nPer event                    invocations  bus events  schedules fired  DynamoDB calls  RCU / WCU billed   log bytes  messages');
  const perEvent = (name: string, usage: Usage) => {
    const each = (value: number) => value / usage.events;
    console.log(
      `${name.padEnd(28)} ${each(usage.invocations).toFixed(2).padStart(11)}  ${each(usage.busEvents).toFixed(2).padStart(10)}  ${each(usage.scheduledInvocations).toFixed(2).padStart(15)}  ${each(usage.dynamoDbCalls).toFixed(1).padStart(14)}  ${`${each(usage.readUnits).toFixed(1)} / ${each(usage.writeUnits).toFixed(1)}`.padStart(16)}  ${format(each(usage.logBytes)).padStart(10)}  ${each(usage.messages).toFixed(2).padStart(8)}`,
    );
  };
  for (const kind of cost.kinds) perEvent(kind.kind, kind.measured);
  perEvent('the mix', mixMeasured);
  perEvent('the mix, floor', mixFloor);
  console.log(`\nall-in: $${dollars(perMillionEvents(mixMeasured).total)} per million events (floor $${dollars(perMillionEvents(mixFloor).total)})`);
}
