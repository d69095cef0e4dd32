export { type CompiledPattern, type CompileResult, compilePattern, type PatternError } from './compile.js';
export { type FlatEvent, flattenEvent, matches, matchesFlat, testEventPattern } from './match.js';
