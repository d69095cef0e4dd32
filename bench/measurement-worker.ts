import { join } from 'node:path';
import { measureMeasurementHere } from './measurement.js';

/**
 * Run by measureMeasurement in a fresh process: the services keep the endpoints they were first
 * loaded with, so a second local runtime in the benchmark's own process would reach the first one's.
 */
console.log(JSON.stringify(await measureMeasurementHere(join(import.meta.dirname, '..'))));
