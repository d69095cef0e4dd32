import { join } from 'node:path';
import { printLoad } from './load-report.js';

/** `npm run bench:load`: webhook → email latency under a steady load, alone. */
await printLoad(join(import.meta.dirname, '..'));
