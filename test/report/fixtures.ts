import { join } from 'node:path';
import { readResultsFile } from '../../src/results/read.js';
import type { LoadedResults } from '../../src/results/read.js';
import { repoRoot } from '../helpers/data.js';

export const FIXTURES = join(repoRoot(), 'test', 'fixtures', 'results');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function load(name: string): LoadedResults {
  return readResultsFile(fixture(name));
}
