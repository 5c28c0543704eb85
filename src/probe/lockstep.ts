/**
 * SentEval's L2 grid in lockstep. SentEval fits every L2 value of a fold from the same seed, so
 * those probes share their validation split, their initialisation and every epoch's shuffle; only
 * the weight decay (hence the weights) differs. Trained as one group, each minibatch's rows are
 * read once for all of them: one forward pass of the SIMD kernels over the stacked weight rows of
 * every member, one backward pass into their stacked gradient rows, then each member's own
 * optimizer step. Each member stops on its own dev rule, exactly as alone, and drops out of the
 * stack; the kernels compute every output row's sums in the same order whatever the stack holds,
 * so each member's parameters, scores and stopping are bit-identical to its solo fit.
 *
 * The shared part is the schedule (shuffles, rounds, stopping); what one minibatch does to the
 * members is a `LockstepStep`, so another probe kind (the MLP) can plug its own in. A step must
 * draw from the shared epoch stream exactly what one solo step draws (once for the whole group):
 * the group's stream then stays where each member's own stream would be.
 */
import { Rng } from '../util/rng.js';
import {
  EPOCH_STREAM,
  netOn,
  NUMPY_STREAM,
  TORCH_STREAM,
  trainingRows,
  type ClassifierSettings,
  type FitResult,
  type LabelledData,
  type Validation,
} from './classifier.js';
import { EarlyStopper } from './early-stopping.js';
import { FastStream, shuffledInto } from './fast-stream.js';
import { EVAL_CHUNK, initParams, type ProbeArch, type ProbeNet } from './model.js';
import { makeOptimizer, type Optimizer } from './optim.js';
import { wasmLinear, type WasmLinear } from './wasm/linear.js';

/** One member of a lockstep group: a probe with its own weights, optimizer state and stopping. */
export interface LockstepMember {
  readonly net: ProbeNet;
  readonly optimizer: Optimizer;
}

/** What one minibatch does to the active members of a group, and how a round is scored. */
export interface LockstepStep {
  /** Train `members` (the active ones, in a fixed order) on `rows[start..end)`; see the module note on `rng`. */
  step(members: readonly LockstepMember[], rows: Int32Array, start: number, end: number, rng: FastStream): void;
  /** Each member's number of correct predictions on `dev` (eval mode). */
  correct(members: readonly LockstepMember[], dev: Int32Array): number[];
}

/** Most members the kernels' scratch is sized for (SentEval's grids have four values). */
export const MAX_LOCKSTEP = 16;

/**
 * The linear probes (logistic regression) on the wasm SIMD kernels, weight rows stacked: member i
 * owns kernel rows [i·R, (i+1)·R) (R = 1 for two classes, else C) of each forward and backward.
 */
export function simdLinearStep(e: WasmLinear, data: LabelledData, settings: ClassifierSettings): LockstepStep {
  const y = data.y;
  return {
    step(members, rows, start, end) {
      const nb = end - start;
      const scale = settings.lossReduction === 'mean' ? 1 / nb : 1;
      const R = members[0]!.net.kernelRows;
      const stride = members.length * R;
      members.forEach((m, i) => m.net.loadKernelWeights(e, i * R));
      e.stage(rows, start, nb);
      e.stageLabels(y, rows, start, nb);
      e.forward(nb, stride);
      members.forEach((m, i) => m.net.kernelCoefficients(e, y, rows, start, nb, scale, false, stride, i * R));
      e.g.fill(0, 0, stride * e.dp);
      e.backward(nb, stride);
      for (let i = 0; i < members.length; i++) {
        const m = members[i]!;
        m.net.storeKernelGrad(e, i * R);
        m.optimizer.step(m.net.params, m.net.grad);
      }
    },
    correct(members, dev) {
      const R = members[0]!.net.kernelRows;
      const stride = members.length * R;
      members.forEach((m, i) => m.net.loadKernelWeights(e, i * R));
      const preds = members.map(() => new Int32Array(dev.length));
      for (let s = 0; s < dev.length; s += EVAL_CHUNK) {
        const nb = Math.min(EVAL_CHUNK, dev.length - s);
        e.stage(dev, s, nb);
        e.forward(nb, stride);
        members.forEach((m, i) => m.net.kernelPredictions(e, nb, stride, i * R, preds[i]!, s));
      }
      return preds.map((pred) => {
        let c = 0;
        for (let k = 0; k < dev.length; k++) if (pred[k] === y[dev[k]!]) c++;
        return c;
      });
    },
  };
}

export interface GridFitOptions {
  readonly nclasses: number;
  /** The L2 values, one member each. */
  readonly l2s: readonly number[];
  readonly seed: number;
  readonly settings: ClassifierSettings;
}

/**
 * Whether `fitLockstep` can train these settings together on this thread: the logistic
 * (cross-entropy, nhid = 0) probe on the SIMD kernels. Anything else, the MLP included (it runs on
 * the kernels too, but one net per engine), is fitted one probe at a time, with the same results.
 * (An MLP grid in lockstep, one staging of the rows and one draw of the masks for all members, was
 * measured: no faster with 100-d features, 5-7% slower on 2,048-d pair features, where each
 * member's own float64 state, the first layer, its gradient and Adam's moments, outweighs the
 * shared rows, and four members' state no longer stays in cache.)
 */
export function lockstepSupported(settings: Pick<ClassifierSettings, 'nhid'>): boolean {
  return settings.nhid === 0 && wasmLinear() !== null;
}

/**
 * Fits one probe per L2 value of `o.l2s` on the same rows and seed, in lockstep; result i is what
 * `fitClassifier` returns for l2s[i]. `step` defaults to the SIMD linear step.
 */
export function fitLockstep(data: LabelledData, trainRows: Int32Array, validation: Validation, o: GridFitOptions, step?: LockstepStep): FitResult[] {
  const s = o.settings;
  if (o.l2s.length > MAX_LOCKSTEP) throw new Error(`lockstep: ${o.l2s.length} probes, at most ${MAX_LOCKSTEP}`);
  const arch: ProbeArch = { inputDim: data.cols, nhid: s.nhid, nclasses: o.nclasses, dropout: s.dropout };
  const { train, dev } = trainingRows(trainRows, validation, new Rng(o.seed, NUMPY_STREAM));
  const init = initParams(arch, new Rng(o.seed, TORCH_STREAM));
  const epochRng = new FastStream(o.seed, EPOCH_STREAM);
  const members = o.l2s.map((l2) => {
    const optimizer = makeOptimizer(s.optim, init.length, l2);
    return { net: netOn(arch, init.slice(), optimizer), optimizer, stopper: new EarlyStopper(s), best: init };
  });
  let train1 = step;
  if (!train1) {
    const e = wasmLinear();
    if (!e || !lockstepSupported(s)) throw new Error('lockstep: no step for these settings (see lockstepSupported)');
    for (const m of members) m.net.useEngine(e, data.X, s.batchSize, members.length);
    train1 = simdLinearStep(e, data, s);
  }
  const n = train.length;
  const bs = s.batchSize;
  const epochRows = new Int32Array(n);
  let active = members.filter((m) => m.stopper.running);
  while (active.length > 0) {
    for (let e = 0; e < s.epochSize; e++) {
      shuffledInto(train, epochRows, epochRng);
      for (let i = 0; i < n; i += bs) train1.step(active, epochRows, i, Math.min(i + bs, n), epochRng);
    }
    const correct = train1.correct(active, dev);
    active.forEach((m, i) => {
      if (m.stopper.record(correct[i]! / dev.length)) m.best = m.net.params.slice();
    });
    active = active.filter((m) => m.stopper.running);
  }
  return members.map((m) => {
    const stopping = m.stopper.outcome();
    m.net.params = m.best;
    return { net: m.net, bestAccuracy: stopping.best, stopping };
  });
}
