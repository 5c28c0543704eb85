/**
 * Filling a data folder: copied from a local folder in SentEval's `data/downstream` layout, or
 * downloaded from the canonical upstream locations of the tasks' `download` entries.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { splitFileGroups, type DownloadSource, type TaskDefinition } from './definition.js';
import { referenceChecksums } from './verify.js';

export type Log = (line: string) => void;

export interface CopyReport {
  readonly copied: string[];
  readonly alreadyPresent: string[];
  /** Files the tasks read that the source folder lacks (alternative names joined with " or "). */
  readonly missing: string[];
}

/**
 * Copies every file of the given tasks that exists under `fromDir` into `dataDir` (same relative
 * paths). A destination that already holds identical bytes is left alone. Checksums are checked
 * by the caller (verifyTaskData) afterwards.
 */
export async function copyFromLocal(defs: readonly TaskDefinition[], fromDir: string, dataDir: string, log: Log): Promise<CopyReport> {
  const from = resolve(fromDir);
  const to = resolve(dataDir);
  if (!existsSync(from)) throw new UserError(`--from ${fromDir}: no such folder`);
  const report: CopyReport = { copied: [], alreadyPresent: [], missing: [] };
  if (from === to) {
    log(`source and data folder are the same (${to}); nothing to copy`);
    return report;
  }
  for (const def of defs) {
    for (const group of copyGroups(def)) {
      // Every alternative present is copied (e.g. both QUORA/dev.tsv and QUORA/dev.txt).
      const present = group.filter((p) => existsSync(join(from, p)));
      if (present.length === 0) report.missing.push(group.join(' or '));
      for (const rel of present) {
        const src = join(from, rel);
        const dst = join(to, rel);
        if (existsSync(dst) && (await sha256File(dst)) === (await sha256File(src))) {
          report.alreadyPresent.push(rel);
          continue;
        }
        await mkdir(dirname(dst), { recursive: true });
        // The source may be read-only (so would be the copy); replace rather than overwrite.
        await rm(dst, { force: true });
        await copyFile(src, dst);
        await chmod(dst, 0o644);
        report.copied.push(rel);
        log(`copied ${rel}`);
      }
    }
  }
  return report;
}

/** Files to copy for a task, as groups of alternative names (one group per needed file). */
function copyGroups(def: TaskDefinition): string[][] {
  const groups: string[][] = [];
  for (const src of Object.values(def.splits)) groups.push(...splitFileGroups(def, src));
  for (const p of def.extraFiles ?? []) groups.push([p]);
  const seen = new Set<string>();
  return groups.filter((g) => {
    const k = g.join('\n');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export interface DownloadReport {
  readonly fetched: string[];
  readonly alreadyPresent: string[];
  /** Download entries that need manual steps (their notes are logged). */
  readonly manual: string[];
  /** Downloads that failed (the rest carried on): task, URL, why. */
  readonly failed: { readonly task: string; readonly url: string; readonly reason: string }[];
  /** Per task, in order: what happened to it (for the summary table). */
  readonly tasks: { readonly task: string; fetched: number; present: number; manual: boolean; failed: number }[];
}

/**
 * Downloads the tasks' upstream files with fetch. `file` entries are saved (after SentEval's
 * character deletions), `zip` entries are unpacked member by member with the system `unzip`,
 * `manual` entries are explained. Files already present with the reference checksum are kept.
 */
export async function downloadUpstream(defs: readonly TaskDefinition[], dataDir: string, log: Log): Promise<DownloadReport> {
  const report: DownloadReport = { fetched: [], alreadyPresent: [], manual: [], failed: [], tasks: [] };
  const sums = referenceChecksums();
  const present = async (rel: string): Promise<boolean> => {
    const p = join(dataDir, rel);
    if (!existsSync(p)) return false;
    const want = sums.get(rel);
    return want === undefined || (await sha256File(p)) === want;
  };
  for (const def of defs) {
    const row = { task: def.id, fetched: 0, present: 0, manual: false, failed: 0 };
    report.tasks.push(row);
    for (const d of def.download) {
      if (d.kind === 'manual') {
        const already = await allPresent(def, present);
        if (already) {
          report.alreadyPresent.push(def.id);
          row.present++;
          continue;
        }
        report.manual.push(def.id);
        row.manual = true;
        log(`${def.id}: manual step needed: ${d.note ?? ''} (source: ${d.url})`);
        continue;
      }
      const targets = d.kind === 'file' ? [d.saveAs as string] : Object.values(d.members ?? {});
      const todo: string[] = [];
      for (const t of targets) if (!(await present(t))) todo.push(t);
      if (todo.length === 0) {
        report.alreadyPresent.push(...targets);
        row.present += targets.length;
        continue;
      }
      log(`${def.id}: downloading ${d.url}`);
      try {
        if (d.kind === 'file') {
          await saveFile(d, join(dataDir, d.saveAs as string));
          report.fetched.push(d.saveAs as string);
          row.fetched++;
        } else {
          await unpackZip(d, dataDir, todo);
          report.fetched.push(...todo);
          row.fetched += todo.length;
        }
      } catch (e) {
        // One unreachable mirror should not stop the other tasks' downloads: note it, carry on.
        if (!(e instanceof UserError)) throw e;
        report.failed.push({ task: def.id, url: d.url, reason: e.message });
        row.failed++;
        log(`${def.id}: ${e.message}`);
      }
    }
  }
  return report;
}

async function allPresent(def: TaskDefinition, present: (rel: string) => Promise<boolean>): Promise<boolean> {
  for (const src of Object.values(def.splits)) {
    for (const group of splitFileGroups(def, src)) {
      let any = false;
      for (const p of group) if (await present(p)) any = true;
      if (!any) return false;
    }
  }
  return true;
}

async function fetchBytes(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    throw new UserError(`download of ${url} failed (${(e as Error).message}); use 'gensen-eval data get --from <folder>' with a local copy`);
  }
  if (!res.ok) throw new UserError(`download of ${url} failed: HTTP ${res.status}; use 'gensen-eval data get --from <folder>' with a local copy`);
  return Buffer.from(await res.arrayBuffer());
}

async function saveFile(d: DownloadSource, dest: string): Promise<void> {
  let bytes = await fetchBytes(d.url);
  if (d.deleteChars !== undefined) {
    const drop = new Set([...Buffer.from(d.deleteChars, 'latin1')]);
    bytes = Buffer.from(bytes.filter((b) => !drop.has(b)));
  }
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.part`;
  await writeFile(tmp, bytes);
  await rename(tmp, dest);
}

async function unpackZip(d: DownloadSource, dataDir: string, wanted: readonly string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gensen-eval-get-'));
  try {
    const zip = join(dir, 'archive.zip');
    await writeFile(zip, await fetchBytes(d.url));
    for (const [member, rel] of Object.entries(d.members ?? {})) {
      if (!wanted.includes(rel)) continue;
      const dest = join(dataDir, rel);
      await mkdir(dirname(dest), { recursive: true });
      await unzipMember(zip, member, `${dest}.part`);
      await rename(`${dest}.part`, dest);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function unzipMember(zip: string, member: string, dest: string): Promise<void> {
  const out = createWriteStream(dest);
  const written = new Promise<void>((ok, fail) => out.on('close', ok).on('error', fail));
  const exited = new Promise<void>((ok, fail) => {
    const child = spawn('unzip', ['-p', zip, member], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    // pipe() ends `out` when unzip's output ends; the exit status arrives separately.
    child.stdout.pipe(out);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', () => fail(new UserError(`unpacking ${member} needs the 'unzip' program; install it or unpack ${zip} by hand`)));
    child.on('close', (code) => (code === 0 ? ok() : fail(new UserError(`unzip ${member}: ${err.trim() || `exit ${code}`}`))));
  });
  return Promise.all([exited, written]).then(
    () => undefined,
    (e: unknown) => {
      out.destroy();
      throw e;
    },
  );
}

/** The end-of-run table of `data get`: one line per task. */
export function formatDownloadSummary(r: DownloadReport): string {
  const rows = [['task', 'downloaded', 'present', 'status']];
  for (const t of r.tasks) {
    const status = t.failed > 0 ? `FAILED (${t.failed} download${t.failed === 1 ? '' : 's'}; see above)` : t.manual ? 'manual step needed (see above)' : 'ok';
    rows.push([t.task, String(t.fetched), String(t.present), status]);
  }
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((x) => x[j]!.length)));
  return rows
    .map((x) =>
      x
        .map((c, j) => (j === 1 || j === 2 ? c.padStart(w[j]!) : c.padEnd(w[j]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
