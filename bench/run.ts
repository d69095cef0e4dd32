import { join } from 'node:path';
import { printCampaign } from './campaign-report.js';
import { measureCatalogue, measureRecommendationHitRate } from './catalogue.js';
import { measureCheckoutCapacity } from './checkout-capacity.js';
import { printCost } from './cost-report.js';
import { measureIntake } from './intake.js';
import { printLoad } from './load-report.js';
import { measureMeasurement } from './measurement.js';
import { measureProfileCapacity } from './profile-capacity.js';
import { measureRuleMatching } from './rule-matching.js';
import { measureTriggers } from './triggers.js';

/** `npm run bench`: prints figures and, beside each, the baseline measured in the same run. */
const format = (value: number) => Math.round(value).toLocaleString('en-US');

console.log(`Nudge benchmarks: Node ${process.version}, one core, ${new Date().toISOString()}\n`);
console.log('Rule matching: canonical e-commerce events against rules of mixed operators, events per second.');
console.log('Baseline: the same rules tested one by one (no index), in the same run.');
console.log('Events are matched while in the CPU cache, as in the service (right after parsing); "out of cache" cycles');
console.log('through 5,000 pre-built events instead, which mostly measures memory latency.\n');
const figures = measureRuleMatching([100, 1000, 10000]);
console.log('rules    indexed ev/s   out of cache   every-rule ev/s   speed-up   matches/event');
for (const row of figures) {
  console.log(
    `${String(row.rules).padEnd(8)} ${format(row.indexedPerSecond).padStart(13)}   ${format(row.indexedOutOfCachePerSecond).padStart(12)}   ${format(row.scanPerSecond).padStart(15)}   ${(row.indexedPerSecond / row.scanPerSecond).toFixed(1).padStart(7)}x   ${row.matchesPerEvent.toFixed(2).padStart(13)}`,
  );
}
const at = (rules: number) => figures.find((row) => row.rules === rules)?.indexedPerSecond ?? Number.NaN;
console.log(
  `\n10,000 rules are ${(at(1000) / at(10000)).toFixed(2)}x slower than 1,000 (target: at most 3x); 1,000 rules: ${format(at(1000))} ev/s (target: 250,000).`,
);

console.log('\nIntake: signed webhooks verified, parsed, normalised and checked against their contract, events per second on one core (no I/O).');
console.log('Baseline: only the HMAC over the raw body and JSON.parse of the same bytes, in the same run.\n');
console.log('source                                  bytes    intake ev/s   baseline ev/s   intake/baseline');
for (const row of measureIntake()) {
  console.log(
    `${row.source.padEnd(38)} ${String(row.bytes).padStart(6)}  ${format(row.eventsPerSecond).padStart(13)}   ${format(row.baselineEventsPerSecond).padStart(13)}   ${(row.eventsPerSecond / row.baselineEventsPerSecond).toFixed(2).padStart(15)}`,
  );
}

console.log('\nProfiles: DynamoDB capacity units per customer event, as DynamoDB Local reports them (ReturnConsumedCapacity),');
console.log(
  "including the look-ups, the profile's writes (a transaction for a new person or a merge; else the new keys, the profile and its history slot) and the applied marker once the update is out.\n",
);
console.log("Reported: what DynamoDB Local returned. Billed: the same calls priced by DynamoDB's rules (transactions count twice).\n");
console.log('step                                                       reported RCU/WCU   billed RCU/WCU   profile bytes');
for (const row of await measureProfileCapacity()) {
  const pair = (read: number, write: number) => `${read} / ${write}`.padStart(16);
  console.log(`${row.step.padEnd(58)} ${pair(row.read, row.write)}   ${pair(row.billedRead, row.billedWrite)}   ${String(row.profileBytes).padStart(13)}`);
}

console.log('\nTime, place and sequence triggers: the trigger engine with its state in memory (no I/O), one core.');
console.log('100 sequence rules (abandoned checkout, browse abandonment, review request, win-back, delay after a review, per shop or');
console.log('category) and 20 place rules over 20 geofences; events from 10,000 profiles: 30% location reports, then views, carts,');
console.log('checkouts, orders and reviews. Baseline: the same events matched against the same rules’ patterns only, with no state.\n');
const triggers = await measureTriggers();
console.log('rules   geofences   profiles   states held   engine ev/s   match-only ev/s   timers set / cancelled   messages due');
console.log(
  `${String(triggers.rules).padEnd(7)} ${String(triggers.geofences).padStart(9)}   ${format(triggers.profiles).padStart(8)}   ${format(triggers.statesHeld).padStart(11)}   ${format(triggers.eventsPerSecond).padStart(11)}   ${format(triggers.matchOnlyPerSecond).padStart(15)}   ${`${format(triggers.timersSet)} / ${format(triggers.timersCancelled)}`.padStart(22)}   ${format(triggers.messagesDue).padStart(12)}`,
);

console.log('\nOne checkout, then its order, end to end on the local runtime with the shipped rules: every DynamoDB call of intake,');
console.log('profiles, rules (state and timers) and dispatch (gate and ledger), counted by a meter in front of DynamoDB Local.');
console.log('Billed: transactions count twice, per item.\n');
console.log('step                                                                             calls   reported RCU/WCU   billed RCU/WCU');
const flow = await measureCheckoutCapacity(join(import.meta.dirname, '..'));
for (const row of flow) {
  const pair = (read: number, write: number) => `${read} / ${write}`.padStart(16);
  console.log(`${row.step.padEnd(80)} ${String(row.calls).padStart(5)}   ${pair(row.read, row.write)}   ${pair(row.billedRead, row.billedWrite)}`);
}
const billedRead = flow.reduce((total, row) => total + row.billedRead, 0);
const billedWrite = flow.reduce((total, row) => total + row.billedWrite, 0);
// On-demand prices in us-east-1: $0.625 per million write request units, $0.125 per million read request units.
console.log(
  `\nCheckout and order together: ${billedRead} RCU and ${billedWrite} WCU billed, about $${(billedWrite * 0.625 + billedRead * 0.125).toFixed(2)} per million checkouts that end in an order (on demand, us-east-1).`,
);

console.log('\nMeasurement: every counted fact is one DynamoDB transaction with its count-once marker (and the person’s recent');
console.log('messages where attribution needs them), on DynamoDB Local through a meter. Billed: transactions count twice, per item.\n');
const measurement = measureMeasurement();
console.log('counted fact                                                        calls   billed RCU / WCU');
for (const row of measurement.perFact)
  console.log(`${row.fact.padEnd(67)} ${String(row.calls).padStart(5)}   ${`${row.billedRead} / ${row.billedWrite}`.padStart(16)}`);
const counted = measurement.perFact.slice(0, -1);
const perMessage = { read: counted.reduce((sum, row) => sum + row.billedRead, 0), write: counted.reduce((sum, row) => sum + row.billedWrite, 0) };
console.log(
  `\nOne email's whole funnel and its order: ${perMessage.read} RCU and ${perMessage.write} WCU billed, about $${((perMessage.write * 0.625 + perMessage.read * 0.125) / counted.length).toFixed(2)} per million counted events (on demand, us-east-1).`,
);
console.log(
  `${format(measurement.events)} events, eight at once on DynamoDB Local: ${format(measurement.eventsPerSecond)} counted events/s; baseline (a transaction of a count-once marker and one counter per event, same table, same run): ${format(measurement.baselinePerSecond)}/s.`,
);

console.log('\nRecommendations: on a seeded order history (300 products in 12 categories, popularity a power law, two complements a');
console.log("product; an order adds one with p=0.5; a next order holds a complement of the last with p=0.35), each customer's");
console.log('next order against the four products recommended after their last one, in time order, counts kept incrementally.');
console.log("Baselines, same run: the shop's four bestsellers so far (not bought before), and four in-stock products at random.\n");
const hitRate = measureRecommendationHitRate();
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
console.log('customers   orders   predictions   recommended hit rate   bestsellers hit rate   random hit rate   recommendations/s');
console.log(
  `${format(hitRate.customers).padEnd(9)}   ${format(hitRate.orders).padStart(6)}   ${format(hitRate.predictions).padStart(11)}   ${percent(hitRate.recommended).padStart(20)}   ${percent(hitRate.bestsellers).padStart(20)}   ${percent(hitRate.randomPick).padStart(15)}   ${format(hitRate.recommendationsPerSecond).padStart(17)}`,
);

console.log('\nCatalogue: the real catalogue code on DynamoDB Local through the meter. Billed: as AWS bills (transactions count twice).\n');
const catalogue = await measureCatalogue();
console.log('step                                                                             calls   billed RCU / WCU');
for (const row of catalogue.steps)
  console.log(`${row.step.padEnd(80)} ${String(row.calls).padStart(5)}   ${`${row.billedRead} / ${row.billedWrite}`.padStart(16)}`);
console.log(
  `\nProduct updates, eight at once on DynamoDB Local: ${format(catalogue.updatesPerSecond)}/s; baseline (one PutItem of the same product item, same table, same run): ${format(catalogue.baselinePerSecond)}/s.`,
);

await printCampaign();
await printLoad(join(import.meta.dirname, '..'));
await printCost(join(import.meta.dirname, '..'));
