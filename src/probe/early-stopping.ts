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

export function runEarlyStopping(o: EarlyStoppingOptions, hooks: EarlyStoppingHooks): EarlyStoppingOutcome {
  let nepoch = 0;
  let best = -1;
  let bestRound = 0;
  let count = 0;
  let rounds = 0;
  let stop = false;
  while (!stop && nepoch <= o.maxEpoch) {
    hooks.trainRound(o.epochSize);
    nepoch += o.epochSize;
    rounds++;
    const score = hooks.validate();
    if (score > best) {
      best = score;
      bestRound = rounds;
      hooks.keepBest();
    } else {
      if (count >= o.tenacity) stop = true;
      count++;
    }
  }
  if (bestRound === 0) {
    // SentEval would crash on an undefined `bestmodel`; only reachable with NaN-free scores < -1.
    throw new Error('early stopping: no round produced a usable validation score');
  }
  return { best, bestRound, rounds, epochs: nepoch };
}
