// What mutation testing covers, and the tests that state each area's promises. Each group runs on
// its own with only its own tests loaded: every mutant pays for loading each test file of its group
// (about 0.4 s a file here, 3 to 15 s for one that starts DynamoDB Local), so groups stay small.
// Groups with `table` test adapters on DynamoDB Local: the run starts one for all of them.
/** @type {readonly { name: string; mutate: string[]; tests: string[]; table?: boolean }[]} */
export const groups = [
  {
    name: 'intake-signatures',
    mutate: ['services/intake/core/signatures.ts'],
    tests: ['test/unit/intake-strict-signatures.test.ts', 'test/unit/intake-platforms.test.ts', 'test/unit/intake-shopify.test.ts'],
  },
  {
    name: 'event-pattern',
    mutate: [
      'shared/event-pattern/compile.ts',
      'shared/event-pattern/match.ts',
      'shared/event-pattern/pattern-set.ts',
      'shared/event-pattern/reader.ts',
      'shared/event-pattern/paths.ts',
    ],
    tests: ['test/unit/event-pattern-*.test.ts', 'test/unit/topology-push-down.test.ts', 'test/unit/rules-why.test.ts'],
  },
  {
    name: 'rules-engine',
    mutate: ['services/rules/engine.ts', 'services/rules/core/admission.ts', 'services/rules/core/trigger-state.ts'],
    tests: ['test/unit/rules-*.test.ts', 'test/unit/rule-schema.test.ts', 'test/unit/simulate.test.ts'],
  },
  {
    name: 'rules-triggers',
    mutate: ['services/rules/core/sequence.ts', 'services/rules/core/geofence.ts', 'services/rules/core/cron.ts'],
    tests: ['test/unit/triggers-core.test.ts', 'test/unit/rule-schema.test.ts'],
  },
  {
    name: 'profiles-core',
    mutate: ['services/profiles/core/apply-event.ts', 'services/profiles/core/merge.ts'],
    tests: ['test/unit/profiles-*.test.ts'],
  },
  {
    name: 'profiles-store',
    mutate: ['services/profiles/update-profile.ts', 'services/profiles/adapters/profile-store.ts'],
    tests: ['test/integration/profile-store.test.ts'],
    table: true,
  },
  {
    name: 'dispatch-gate',
    mutate: ['services/dispatch/core/gate.ts'],
    tests: ['test/unit/dispatch-gate.test.ts', 'test/unit/dispatch-never-spams.test.ts', 'test/unit/rule-schema.test.ts'],
  },
  {
    name: 'dispatch-store',
    mutate: ['services/dispatch/dispatch-message.ts', 'services/dispatch/adapters/dispatch-store.ts'],
    tests: ['test/integration/dispatch-store.test.ts', 'test/integration/dispatch-message.test.ts'],
    table: true,
  },
];
