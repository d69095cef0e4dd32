import { measureOneRuleCount } from './rule-matching.js';

/** Run by measureRuleMatching in a fresh process: prints one rule count's figures as JSON. */
const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count <= 0) throw new Error(`usage: rule-matching-worker <rule count>, not ${process.argv[2]}`);
console.log(JSON.stringify(measureOneRuleCount(count)));
