/**
 * The early-stopping loop shared by SentEval's PyTorchClassifier.fit and RelatednessPytorch.run:
 *
 *   while not stop and nepoch <= max_epoch:
 *       train `epochSize` epochs; score = validate()
 *       if score > best: best = score; keep a copy of the model
 *       elif count >= tenacity: stop        # checked before the increment...
 *       count += 1                          # ...and the counter is never reset
 *
 * so training stops at the (tenacity+1)-th round without improvement, counted over the whole run.
 */
export interface EarlyStoppingHooks {
  /** Train `epochs` epochs. */
  trainRound(epochs: number): void;
  /** Validation statistic after the round (accuracy or correlation); higher is better. */
  validate(): number;
  /** Called when the round's model is the new best: snapshot it. */
  keepBest(): void;
}

export interface EarlyStoppingOptions {
  readonly epochSize: number;
  readonly maxEpoch: number;
  readonly tenacity: number;
}

export interface EarlyStoppingOutcome {
  /** Best validation statistic (the model kept). */
  readonly best: number;
  /** 1-based round whose model was kept. */
  readonly bestRound: number;
  readonly rounds: number;
  readonly epochs: number;
}

/**
 * The loop's state, one round at a time: what a trainer uses when many probes step in lockstep
 * (the WebGPU backend), so both paths share one statement of SentEval's stopping rule.
 */
export class EarlyStopper {
  private nepoch = 0;
  private best = -1;
  private bestRound = 0;
  private count = 0;
  private rounds = 0;
  private stop = false;

  constructor(private readonly o: EarlyStoppingOptions) {}

  /** Whether another round is trained (SentEval's `while not stop and nepoch <= max_epoch`). */
  get running(): boolean {
    return !this.stop && this.nepoch <= this.o.maxEpoch;
  }

  /** Records a trained round's validation score; true when it is the new best (keep its model). */
  record(score: number): boolean {
    this.nepoch += this.o.epochSize;
    this.rounds++;
    if (score > this.best) {
      this.best = score;
      this.bestRound = this.rounds;
      return true;
    }
    if (this.count >= this.o.tenacity) this.stop = true;
    this.count++;
    return false;
  }

  outcome(): EarlyStoppingOutcome {
    if (this.bestRound === 0) {
      // SentEval would crash on an undefined `bestmodel`; only reachable with NaN-free scores < -1.
      throw new Error('early stopping: no round produced a usable validation score');
    }
    return { best: this.best, bestRound: this.bestRound, rounds: this.rounds, epochs: this.nepoch };
  }
}

export function runEarlyStopping(o: EarlyStoppingOptions, hooks: EarlyStoppingHooks): EarlyStoppingOutcome {
  const s = new EarlyStopper(o);
  while (s.running) {
    hooks.trainRound(o.epochSize);
    if (s.record(hooks.validate())) hooks.keepBest();
  }
  return s.outcome();
}
