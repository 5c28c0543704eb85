/**
 * Progress on stderr: one line per task and phase (encode / fit) with counts and an ETA. On a
 * terminal the line is redrawn in place; elsewhere (logs, CI) it is silent unless asked for, and then
 * prints a plain line at most every few seconds.
 */
export interface ProgressSink {
  update(task: string, phase: string, done: number, total: number): void;
  log(message: string): void;
  done(): void;
}

export class StderrProgress implements ProgressSink {
  private readonly tty: boolean;
  private lastDraw = 0;
  private phaseStart = new Map<string, number>();
  private lineOpen = false;

  constructor(private readonly enabled: boolean, tty = Boolean(process.stderr.isTTY)) {
    this.tty = tty;
  }

  update(task: string, phase: string, done: number, total: number): void {
    if (!this.enabled) return;
    const key = `${task}/${phase}`;
    const now = performance.now();
    if (!this.phaseStart.has(key)) this.phaseStart.set(key, now);
    const minGap = this.tty ? 100 : 5000;
    if (done < total && now - this.lastDraw < minGap) return;
    this.lastDraw = now;
    const elapsed = (now - this.phaseStart.get(key)!) / 1000;
    const eta = done > 0 && done < total ? ` ETA ${fmtSeconds((elapsed * (total - done)) / done)}` : '';
    const line = `${task}: ${phase} ${done}/${total} (${fmtSeconds(elapsed)})${eta}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
      this.lineOpen = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  log(message: string): void {
    if (!this.enabled) return;
    if (this.lineOpen) {
      process.stderr.write('\r\x1b[2K');
      this.lineOpen = false;
    }
    process.stderr.write(`${message}\n`);
  }

  done(): void {
    if (this.lineOpen) process.stderr.write('\r\x1b[2K');
    this.lineOpen = false;
  }
}

export const silentProgress: ProgressSink = { update() {}, log() {}, done() {} };

export function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - 60 * m)
    .toString()
    .padStart(2, '0')}s`;
}
