/**
 * Temporary files and child processes that must not outlive the process: removed / stopped on exit,
 * and on SIGINT / SIGTERM / SIGHUP (then the process exits as the signal would have it, 128 + signal
 * number, so 'exit' handlers such as the results lock's release run too). The signal handlers are
 * installed only while a temp file or a clean-up action is live, or a command has said what an
 * interruption leaves (`setInterruptNote`), so a Ctrl-C at any other time behaves as Node's default.
 */
import { removeQuietly } from './atomic-write.js';

const live = new Set<string>();
const actions = new Set<() => void>();
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type Sig = keyof typeof SIGNALS;
const handlers = new Map<Sig, () => void>();
let interruptNote: ((signal: string) => string) | undefined;

function removeAll(): void {
  for (const a of actions) {
    try {
      a();
    } catch {
      // best effort: one failing clean-up must not keep the others from running
    }
  }
  actions.clear();
  for (const p of live) removeQuietly(p);
  live.clear();
}

function install(): void {
  if (handlers.size > 0) return;
  process.on('exit', removeAll);
  for (const sig of Object.keys(SIGNALS) as Sig[]) {
    const h = (): void => {
      const hadTemps = live.size > 0;
      removeAll();
      process.stderr.write(`gensen-eval: ${interruptNote ? interruptNote(sig) : `interrupted (${sig})${hadTemps ? '; temporary files removed' : ''}`}\n`);
      process.exit(128 + SIGNALS[sig]);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
}

function uninstall(): void {
  for (const [sig, h] of handlers) process.off(sig, h);
  handlers.clear();
  process.off('exit', removeAll);
}

export function trackTemp(path: string): void {
  live.add(path);
  install();
}

/** The file was renamed into place or removed: no longer ours to clean up. */
export function untrackTemp(path: string): void {
  live.delete(path);
  if (live.size === 0 && actions.size === 0 && !interruptNote) uninstall();
}

/**
 * While a command runs, what to say when it is interrupted (e.g. how many finished tasks its results
 * file keeps); undefined when the command is done.
 */
export function setInterruptNote(note: ((signal: string) => string) | undefined): void {
  interruptNote = note;
  if (note) install();
  else if (live.size === 0 && actions.size === 0) uninstall();
}

/**
 * A synchronous clean-up (e.g. killing a child's process group) to run on exit and on SIGINT /
 * SIGTERM / SIGHUP, until the returned function withdraws it (after it was done the ordinary way).
 */
export function onExitOrSignal(action: () => void): () => void {
  actions.add(action);
  install();
  return () => {
    actions.delete(action);
    if (live.size === 0 && actions.size === 0 && !interruptNote) uninstall();
  };
}
