/**
 * Rewrites the WAT listings beside the hand-assembled kernels (src/probe/wasm/*.wat) from the
 * bytes the kernels assemble to. Run after changing a kernel: `npm run wasm-listing`.
 * With --check, writes nothing and exits 1 if a listing is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LISTINGS, listingText } from '../src/probe/wasm/listings.js';
import { packageRoot } from '../src/util/package-info.js';

const check = process.argv.includes('--check');
const root = packageRoot();
let stale = 0;
for (const l of LISTINGS) {
  const path = join(root, l.file);
  const text = listingText(l);
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === text) {
    console.log(`${l.file}: up to date`);
  } else if (check) {
    console.log(`${l.file}: out of date (run npm run wasm-listing)`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`${l.file}: written (${text.split('\n').length - 1} lines)`);
  }
}
if (stale > 0) process.exitCode = 1;
