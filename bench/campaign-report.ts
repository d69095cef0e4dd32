import { queueDeliveryOf } from '#shared/topology.js';
import { awsPrices } from './aws-prices.js';
import { measureCampaign } from './campaign.js';

const format = (value: number) => Math.round(value).toLocaleString('en-US');

/** The campaign figures of `npm run bench` (alone: `npm run bench:campaign`), and what they make of 10 million profiles in AWS. */
export async function printCampaign(profiles = 200_000): Promise<void> {
  console.log(`\nCampaigns: a recurring rule's run over ${format(profiles)} profiles on DynamoDB Local (each with two history items and an`);
  console.log('email alias in the table, as a shop’s would hold them; one person in ten qualifies), through the capacity meter: one worker');
  console.log('(the real engine, profile reader and firing store) takes every chunk of every segment in turn, as one rules function does');
  console.log('from the campaign queue. Baseline, same run: the same chunks scanned with nothing decided.\n');
  const run = await measureCampaign(profiles);
  console.log('profiles   segments   chunks   messages   seconds   people/s per worker   RCU / WCU per person   baseline people/s   baseline RCU');
  console.log(
    `${format(run.profiles).padStart(8)}   ${String(run.segments).padStart(8)}   ${format(run.chunks).padStart(6)}   ${format(run.messages).padStart(8)}   ${run.seconds.toFixed(1).padStart(7)}   ${format(run.profilesPerSecond).padStart(19)}   ${`${run.readUnitsPerPerson.toFixed(3)} / ${run.writeUnitsPerPerson.toFixed(3)}`.padStart(20)}   ${format(run.baselineProfilesPerSecond).padStart(17)}   ${run.baselineReadUnitsPerPerson.toFixed(3).padStart(12)}`,
  );
  // 10 million profiles in AWS, from these figures: workers as the campaign queue allows, each at the rate measured here.
  const people = 10_000_000;
  const workers = queueDeliveryOf('rules').maxConcurrency;
  const qualifying = people * (run.messages / run.profiles);
  const workerSeconds = people / run.profilesPerSecond;
  const chunks = people / (run.profiles / run.chunks);
  const dollars = {
    DynamoDB:
      (people * run.readUnitsPerPerson * awsPrices.dynamoDbPerMillionReadUnits + people * run.writeUnitsPerPerson * awsPrices.dynamoDbPerMillionWriteUnits) /
      1e6,
    Lambda: workerSeconds * 0.5 * awsPrices.lambdaPerGbSecond + (chunks * awsPrices.lambdaPerMillionRequests) / 1e6,
    EventBridge: ((chunks + qualifying) * awsPrices.eventBridgePerMillionEvents) / 1e6,
    SQS: (chunks * 3 * awsPrices.sqsPerMillionRequests) / 1e6,
  };
  const total = Object.values(dollars).reduce((sum, value) => sum + value, 0);
  console.log(
    `\n10 million profiles in AWS at these rates: ${workers} workers at once take about ${format(workerSeconds / workers / 60)} min; the run costs about $${total.toFixed(2)} (${Object.entries(
      dollars,
    )
      .map(([service, value]) => `${service} $${value.toFixed(2)}`)
      .join(', ')}), before its ${format(qualifying)} messages are dispatched.`,
  );
}
