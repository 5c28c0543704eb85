/**
 * A full garbage collection of the calling thread, on demand. A thread that lets go of a large
 * WebAssembly memory or SharedArrayBuffer and then waits (an idle probe worker between tasks)
 * allocates nothing, so its heap would never collect them, and the bytes would stay resident through
 * the next task; V8 gives `gc` only under `--expose-gc`, which a worker cannot be started with, so
 * the flag is set here and `gc` read from a fresh context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
