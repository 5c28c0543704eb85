import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageInfo {
  readonly root: string;
  readonly name: string;
  readonly version: string;
}

let info: PackageInfo | undefined;

/**
 * The installed package's root folder and version. Walks up from this module, which sits at
 * src/util (run through tsx) or dist/src/util (compiled), to the package.json named gensen-eval.
 */
export function packageInfo(): PackageInfo {
  if (info) return info;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gensen-eval') {
        info = { root: dir, name: pkg.name, version: pkg.version ?? '0.0.0' };
        return info;
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('gensen-eval: cannot find the package root (package.json named gensen-eval)');
    dir = up;
  }
}
