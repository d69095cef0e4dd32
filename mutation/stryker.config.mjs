// Mutation testing (npm run mutation): StrykerJS puts small plausible bugs into the code that carries
// Nudge's promises, one at a time, and runs the tests that cover each; a bug no test notices survives.
// mutation/run.ts runs one group at a time (NUDGE_MUTATION_GROUP); see the README, Development.
import { groups } from './groups.mjs';

const group = groups.find((candidate) => candidate.name === process.env.NUDGE_MUTATION_GROUP) ?? groups[0];
// Empty (no files named): the whole group.
const only = process.env.NUDGE_MUTATION_FILES?.split(',').filter(Boolean) ?? [];

export default {
  testRunner: 'jest',
  // Our jest runs as ES modules (middy ships only ES modules).
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '--disable-warning=NodeVersionSupportWarning'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    enableFindRelatedTests: false,
    config: { testMatch: group.tests.map((pattern) => `<rootDir>/${pattern}`) },
  },
  coverageAnalysis: 'perTest',
  mutate: only.length > 0 ? only : group.mutate,
  concurrency: 2,
  incremental: true,
  incrementalFile: `reports/mutation/${group.name}.incremental.json`,
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${group.name}.json` },
  tempDirName: '.stryker-tmp',
  // Stryker rewrites tsconfig.json's references with the TypeScript API of its day, which ours no longer has; jest (swc) reads no tsconfig.
  tsconfigFile: 'no-tsconfig-for-stryker.json',
  ignorePatterns: ['.local', 'cdk.out', 'reports', 'coverage'],
  timeoutMS: 10_000,
  cleanTempDir: 'always',
};
