import type { CommandModule } from 'yargs';
import { checkCommand } from './check.js';
import { compareCommand } from './compare.js';
import { dataCommand } from './data.js';
import { encodeCommand } from './encode.js';
import { evaluateCommand } from './evaluate.js';
import { leaderboardCommand } from './leaderboard.js';
import { mergeCommand } from './merge.js';
import { cacheCommand } from './cache.js';
import { tasksCommand } from './tasks.js';
import { configCommand } from './config.js';
import { sentencesCommand } from './sentences.js';
import { exportVectorsCommand } from './export-vectors.js';

// Each command lives in its own module; the CLI is a thin shell over the library API.
// yargs' CommandModule is invariant in its argument type, so the list erases it.
// biome-ignore lint/suspicious/noExplicitAny: yargs' CommandModule is invariant in its argument type (see above)
export const commands: CommandModule<object, any>[] = [
  evaluateCommand,
  encodeCommand,
  sentencesCommand,
  exportVectorsCommand,
  dataCommand,
  leaderboardCommand,
  checkCommand,
  compareCommand,
  mergeCommand,
  tasksCommand,
  cacheCommand,
  configCommand,
];
