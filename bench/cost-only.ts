import { join } from 'node:path';
import { printCost } from './cost-report.js';

/** `npm run bench:cost`: the all-in cost table alone. */
await printCost(join(import.meta.dirname, '..'));
