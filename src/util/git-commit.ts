import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * The commit checked out in the git work tree at `root`, read from the repository's files (never by
 * running git, which may be absent); undefined when `root` is not a work tree (an npm install) or
 * the files are not in a shape this reads. Handles linked worktrees (`.git` is a file) and packed refs.
 */
export function gitCommit(root: string): string | undefined {
  try {
    const dotGit = join(root, '.git');
    if (!existsSync(dotGit)) return undefined;
    let gitDir = dotGit;
    if (statSync(dotGit).isFile()) {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
      if (!m) return undefined;
      gitDir = isAbsolute(m[1]!) ? m[1]! : resolve(root, m[1]!);
    }
    const commonFile = join(gitDir, 'commondir');
    const commonDir = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
    if (!ref || ref.includes('..')) return undefined;
    for (const dir of [gitDir, commonDir]) {
      const loose = join(dir, ref);
      if (existsSync(loose)) {
        const sha = readFileSync(loose, 'utf8').trim();
        if (/^[0-9a-f]{40}$/.test(sha)) return sha;
      }
    }
    const packed = join(commonDir, 'packed-refs');
    if (existsSync(packed)) {
      for (const line of readFileSync(packed, 'utf8').split('\n')) {
        const [sha, name] = line.split(' ');
        if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
      }
    }
    return undefined;
  } catch {
    return undefined;
  }
}
