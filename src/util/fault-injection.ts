/**
 * Test hook for faults that cannot be produced safely on a shared machine (a full disk).
 * `GENSEN_EVAL_TEST_ENOSPC` holds comma-separated path fragments; a write to a path containing one
 * of them fails with ENOSPC exactly as the kernel would report it. It is read only here, is meant
 * for the test suite, and is never set in normal use.
 */
export const FAULT_ENV = 'GENSEN_EVAL_TEST_ENOSPC';

export function injectedWriteFault(path: string): NodeJS.ErrnoException | undefined {
  const spec = process.env[FAULT_ENV];
  if (!spec) return undefined;
  const hit = spec.split(',').some((frag) => frag !== '' && path.includes(frag));
  if (!hit) return undefined;
  const e = new Error(`ENOSPC: no space left on device, write '${path}'`) as NodeJS.ErrnoException;
  e.code = 'ENOSPC';
  e.errno = -28;
  e.syscall = 'write';
  e.path = path;
  return e;
}

/** Throws the injected fault for `path`, if any. */
export function checkWriteFault(path: string): void {
  const e = injectedWriteFault(path);
  if (e) throw e;
}

/**
 * Test hook: `GENSEN_EVAL_TEST_SYSROOT` names a folder that stands for `/` when the memory check
 * reads /proc and /sys/fs/cgroup, so the suite can present a cgroup v1 or v2 limit. Never set in
 * normal use.
 */
export const SYSROOT_ENV = 'GENSEN_EVAL_TEST_SYSROOT';

export function systemRoot(): string {
  return process.env[SYSROOT_ENV] || '/';
}
