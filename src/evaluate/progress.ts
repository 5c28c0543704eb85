/**
 * Progress on stderr. On a terminal: one line redrawn in place, run-level first
 * (`task 3/10 SUBJ · fit 4/410 probes · 12.3s · ETA 30.1s · run ETA ≈4m10s`), and transient
 * status lines while things load, so start-up is never silent. Elsewhere (CI logs): plain lines,
 * one when each task phase starts (no carriage returns), plus what the run logs. Hand-written
 * rather than a progress-bar library: one line and plain lines are all it draws.
 */
export interface ProgressSink {
  update(task: string, phase: string, done: number, total: number): void;
  log(message: string): void;
  /** A transient "what is happening now" line (terminal only), replaced by the next draw. */
  status?(message: string): void;
  /** The run is at task `index` (1-based) of `total`. */
  startTask?(index: number, total: number, task: string): void;
  done(): void;
}

/** What a phase counts, for the progress line. */
export function phaseUnit(phase: string): string {
  if (phase.startsWith('encode')) return 'sentences';
  if (phase.startsWith('fit')) return 'probes';
  return '';
}

export class StderrProgress implements ProgressSink {
  private readonly tty: boolean;
  private lastDraw = 0;
  private phaseStart = new Map<string, number>();
  private lineOpen = false;
  private runStart = performance.now();
  private taskIndex = 0;
  private taskTotal = 0;
  private currentTask = '';

  constructor(
    private readonly enabled: boolean,
    tty = Boolean(process.stderr.isTTY),
    private readonly write: (s: string) => void = (s) => void process.stderr.write(s),
  ) {
    this.tty = tty;
  }

  startTask(index: number, total: number, task: string): void {
    if (this.taskTotal === 0) this.runStart = performance.now();
    this.taskIndex = index;
    this.taskTotal = total;
    this.currentTask = task;
  }

  private prefix(task: string): string {
    return this.taskTotal > 0 && task === this.currentTask ? `task ${this.taskIndex}/${this.taskTotal} ${task}` : task;
  }

  update(task: string, phase: string, done: number, total: number): void {
    if (!this.enabled) return;
    const key = `${task}/${phase}`;
    const now = performance.now();
    const unit = phaseUnit(phase);
    const counted = `${done}/${total}${unit ? ` ${unit}` : ''}`;
    if (!this.phaseStart.has(key)) {
      this.phaseStart.set(key, now);
      // Logs: one plain line as each phase starts.
      if (!this.tty) this.write(`${this.prefix(task)}: ${phase} ${total}${unit ? ` ${total === 1 ? unit.replace(/s$/, '') : unit}` : ''}\n`);
    }
    if (!this.tty) return;
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const elapsed = (now - this.phaseStart.get(key)!) / 1000;
    const eta = done > 0 && done < total ? ` · ETA ${fmtSeconds((elapsed * (total - done)) / done)}` : '';
    this.draw(`${this.prefix(task)} · ${phase} ${counted} · ${fmtSeconds(elapsed)}${eta}${this.runEta(phase, done / Math.max(1, total))}`);
  }

  /** Whole-run ETA from the share of tasks done (the current one counted by its phase's progress). */
  private runEta(phase: string, fraction: number): string {
    if (this.taskTotal < 2) return '';
    // Encoding is usually the small part of a task; fitting the large one.
    const within = phase.startsWith('encode') ? 0.2 * fraction : 0.2 + 0.8 * fraction;
    const share = (this.taskIndex - 1 + within) / this.taskTotal;
    if (share <= 0.02) return '';
    const runElapsed = (performance.now() - this.runStart) / 1000;
    return ` · run ETA ≈${fmtSeconds((runElapsed * (1 - share)) / share)}`;
  }

  private draw(line: string): void {
    this.write(`\r\x1b[2K${line}`);
    this.lineOpen = true;
  }

  status(message: string): void {
    if (!this.enabled || !this.tty) return;
    this.draw(message);
  }

  log(message: string): void {
    if (!this.enabled) return;
    if (this.lineOpen) {
      this.write('\r\x1b[2K');
      this.lineOpen = false;
    }
    this.write(`${message}\n`);
  }

  done(): void {
    if (this.lineOpen) this.write('\r\x1b[2K');
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

/** A metric for a log line: accuracies keep their two decimals, correlations show four. */
export function fmtMetric(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toFixed(4))) : String(v);
}
