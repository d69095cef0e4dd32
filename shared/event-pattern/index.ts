export { type CompiledPattern, type CompileResult, compilePattern, type PatternError, readingAmounts } from './compile.js';
export { branchMatches, type FlatEvent, flattenEvent, type Leaf, matches, matchesFlat, testEventPattern, unmetConditions } from './match.js';
