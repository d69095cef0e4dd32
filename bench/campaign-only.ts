import { printCampaign } from './campaign-report.js';

/** `npm run bench:campaign [profiles]`: the campaign figures alone (200,000 profiles unless told). */
await printCampaign(process.argv[2] === undefined ? undefined : Number(process.argv[2]));
