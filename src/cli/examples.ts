/**
 * `--help` examples as an epilogue, one command per block with shell continuations, instead of
 * yargs' two-column `.example()`, which wraps a long command mid-word into its column. Every line
 * stays within EXAMPLE_WIDTH so no terminal of 80 columns or more re-wraps it.
 */
export const EXAMPLE_WIDTH = 78;

export interface HelpExample {
  /** The command line, without the program name (`evaluate --tasks MR`). */
  readonly command: string;
  readonly what: string;
}

/** Breaks `gensen-eval <command>` at option boundaries into `\`-continued lines of ≤ width. */
export function formatExampleCommand(command: string, width = EXAMPLE_WIDTH): string[] {
  const words = `gensen-eval ${command}`.split(/\s+/);
  // Options start a new chunk together with their value.
  const chunks: string[] = [];
  for (const w of words) {
    if (chunks.length > 0 && !w.startsWith('-')) {
      const last = chunks[chunks.length - 1]!;
      if (last.startsWith('-') && !last.includes(' ')) {
        chunks[chunks.length - 1] = `${last} ${w}`;
        continue;
      }
    }
    chunks.push(w);
  }
  const lines: string[] = [];
  let cur = '  ';
  for (const c of chunks) {
    const candidate = cur.trim() === '' ? `${cur}${c}` : `${cur} ${c}`;
    if (candidate.length + 2 > width && cur.trim() !== '') {
      lines.push(`${cur} \\`);
      cur = `      ${c}`;
    } else {
      cur = candidate;
    }
  }
  lines.push(cur);
  return lines;
}

export function examplesEpilogue(examples: readonly HelpExample[], width = EXAMPLE_WIDTH): string {
  const out = ['Examples:'];
  for (const e of examples) out.push('', `  # ${e.what}`, ...formatExampleCommand(e.command, width));
  return out.join('\n');
}
