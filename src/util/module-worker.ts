/**
 * Starts a worker thread on a sibling module of the caller (`./probe-worker`, `./gru-thread-worker`),
 * from dist/ as its .js file and under tsx as its .ts file.
 */
import { Worker } from 'node:worker_threads';

/** `from`: the caller's import.meta.url; `name`: the sibling module without its extension. */
export function startModuleWorker(from: string, name: string): Worker {
  const isTs = new URL(from).pathname.endsWith('.ts');
  const url = new URL(`./${name}${isTs ? '.ts' : '.js'}`, from);
  if (!isTs) return new Worker(url);
  // Node 20 does not apply the parent's `--import tsx` hooks to a worker's entry module, so the
  // worker registers tsx itself before importing the TypeScript entry.
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true });
}
