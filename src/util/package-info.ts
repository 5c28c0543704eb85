import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../tasks/registry.js';

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
