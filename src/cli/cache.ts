import type { Argv, CommandModule } from 'yargs';
import { cacheInfo, clearCache, formatBytes, formatCacheInfo } from '../cache/inspect.js';
import { cacheDir, cacheDirWithSource } from '../util/cache-dir.js';
import { projectConfig } from '../util/project-config.js';
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
        describe: 'Delete the files the cache wrote (derived data only: the next run re-encodes); nothing else in the folder',
        handler: runCommand(async () => {
          const { dir, source } = cacheDirWithSource();
          const r = clearCache(dir, source === 'config' ? (projectConfig()?.source ?? source) : source);
          const kept = r.kept.length
            ? `; left ${r.kept.length} other ${r.kept.length === 1 ? 'entry' : 'entries'} the cache did not write (e.g. ${r.kept[0]})`
            : '';
          const busy = r.inUse ? `; left ${count(r.inUse, 'write')} in progress by another running gensen-eval` : '';
          process.stdout.write(
            r.exists
              ? `removed ${count(r.files, 'file')} (${formatBytes(r.bytes)}) from ${r.dir}${kept}${busy}\n`
              : `${r.dir} does not exist: nothing to clear\n`,
          );
          return 0;
        }),
      })
      .demandCommand(1, 'Name an action: info or clear.'),
  handler: () => undefined,
};
