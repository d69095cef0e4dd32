// What mutation testing covers, and the tests that state each area's promises. Each group runs on
// its own with only its tests loaded: jest's start-up per mutant is most of the cost on 2 cores.
/** @type {readonly { name: string; mutate: string[]; tests: string[] }[]} */
export const groups = [
  {
    name: 'intake',
    mutate: ['services/intake/core/signatures.ts', 'services/intake/publish-once.ts', 'services/intake/adapters/delivery-ledger.ts'],
    tests: ['test/unit/intake-*.test.ts', 'test/integration/intake-publish-failure.test.ts'],
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
    tests: ['test/unit/event-pattern-*.test.ts', 'test/unit/topology-push-down.test.ts'],
  },
  {
    name: 'rules',
    mutate: [
      'services/rules/engine.ts',
      'services/rules/core/sequence.ts',
      'services/rules/core/trigger-state.ts',
      'services/rules/core/admission.ts',
      'services/rules/core/geofence.ts',
      'services/rules/core/cron.ts',
    ],
    tests: ['test/unit/rules-*.test.ts', 'test/unit/triggers-core.test.ts', 'test/unit/simulate.test.ts'],
  },
  {
    name: 'profiles',
    mutate: [
      'services/profiles/core/apply-event.ts',
      'services/profiles/core/merge.ts',
      'services/profiles/update-profile.ts',
      'services/profiles/adapters/profile-store.ts',
    ],
    tests: ['test/unit/profiles-*.test.ts', 'test/unit/traits-contract.test.ts', 'test/integration/profiles.test.ts'],
  },
  {
    name: 'dispatch',
    mutate: ['services/dispatch/core/gate.ts', 'services/dispatch/dispatch-message.ts', 'services/dispatch/adapters/dispatch-store.ts'],
    tests: ['test/unit/dispatch-*.test.ts', 'test/integration/dispatch-reliability.test.ts'],
  },
];
