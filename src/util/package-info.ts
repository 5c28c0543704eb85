import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this module whose package.json is gensen-eval's.
 * Works from src/ (tsx) and from dist/src/ (compiled) alike.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name === 'gensen-eval') return dir;
      } catch {
        // Not ours (or unreadable): keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`gensen-eval package root not found above ${from}`);
    dir = up;
  }
}

interface PackageInfo {
  readonly root: string;
  readonly name: string;
  readonly version: string;
}

let info: PackageInfo | undefined;

/** The installed package's root folder, name and version (for results files). */
export function packageInfo(): PackageInfo {
  if (info) return info;
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version?: string };
  info = { root, name: pkg.name, version: pkg.version ?? '0.0.0' };
  return info;
}
