// The encoder contract for the built-in encoders that have no test file of their own here; the
// command, http, onnx and vectors encoders run it in their own files.
import { join } from 'node:path';
import { repoRoot } from '../helpers/data.js';
import { encoderContract } from '../helpers/encoder-contract.js';

const gensenFixtures = join(repoRoot(), 'test', 'fixtures', 'gensen');

encoderContract('bow', {
  make: { encoder: 'bow' },
  bad: [{ options: { encoder: 'bow', dim: 10 }, message: /^--dim is an option of --encoder borep, not bow$/ }],
});
encoderContract('borep', {
  make: { encoder: 'borep', dim: 64, projectionSeed: 7 },
  bad: [
    { options: { encoder: 'borep', dim: 0 }, message: /^--dim must be an integer >= 1, got '0'$/ },
    { options: { encoder: 'borep', dim: 2.5 }, message: /^--dim must be an integer >= 1, got '2.5'$/ },
  ],
});
encoderContract('gensen (tiny fixture checkpoints)', {
  make: { encoder: 'gensen', modelsDir: gensenFixtures, prefix1: 'tiny1', prefix2: 'tiny2', glove: join(gensenFixtures, 'expected', 'tiny_glove.txt') },
  bad: [
    { options: { encoder: 'gensen' }, message: /^--encoder gensen needs --prefix1/ },
    {
      options: { encoder: 'gensen', modelsDir: gensenFixtures, prefix1: 'tiny1', pool: 'mean' },
      message: /^--pool must be one of last, max, best, got 'mean'$/,
    },
    { options: { encoder: 'gensen', modelsDir: gensenFixtures, prefix1: 'nothere' }, message: /nothere/ },
  ],
});
