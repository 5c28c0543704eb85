import type { Argv, CommandModule } from 'yargs';
import { cacheInfo, clearCache, formatBytes, formatCacheInfo } from '../cache/inspect.js';
import { cacheDir } from '../util/cache-dir.js';
import { runCommand } from './run-command.js';
import { count } from '../util/english.js';

export const cacheCommand: CommandModule<object, object> = {
  command: 'cache',
  describe: 'Show (info) or empty (clear) the cache folder ($GENSEN_EVAL_CACHE, else ~/.cache/gensen-eval)',
  builder: (y: Argv) =>
    y
      .command({
        command: 'info',
        describe: 'Cache folder, and files and size per encoder',
        handler: runCommand(async () => {
          process.stdout.write(formatCacheInfo(cacheInfo(cacheDir())));
          return 0;
        }),
      })
      .command({
        command: 'clear',
        describe: 'Delete everything in the cache folder (derived data only: the next run re-encodes)',
        handler: runCommand(async () => {
          const r = clearCache(cacheDir());
          process.stdout.write(r.exists ? `removed ${count(r.files, 'file')} (${formatBytes(r.bytes)}) from ${r.dir}\n` : `${r.dir} does not exist: nothing to clear\n`);
          return 0;
        }),
      })
      .demandCommand(1, 'Name an action: info or clear.'),
  handler: () => undefined,
};
