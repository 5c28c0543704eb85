#!/usr/bin/python3
"""Independent check of `gensen-eval compare`.

    /usr/bin/python3 scripts/reference/compare_check.py A.json B.json [--resamples R] [--seed S] [--rng xoshiro|numpy]
    /usr/bin/python3 scripts/reference/compare_check.py --make-fixtures DIR

Reads two results files and their prediction sidecars (src/results/predictions.ts) and prints, per
task and metric, what `compare` should report, computed with numpy/scipy/scikit-learn:
- accuracy: McNemar's exact test = scipy.stats.binomtest(min(b, c), b + c, 0.5) (two-sided);
- F1 (sklearn.metrics.f1_score, positive class 1), Pearson (numpy.corrcoef), Spearman
  (scipy.stats.spearmanr): paired bootstrap of B - A, each resample the gathered examples
  idx = [rng.int(n) for n draws], percentile interval d[floor(a/2 R)], d[ceil((1 - a/2) R) - 1],
  two-sided p = min(1, 2 min(#d <= 0, #d >= 0) / R).
With --rng xoshiro (default) the draws come from a Python port of src/util/rng.ts, so the
intervals must match gensen-eval's to rounding; --rng numpy draws independently (use it on real
runs with 10,000 resamples, where pure-Python draws are slow: the intervals then agree only to
Monte Carlo error, about a tenth of their width).
Also asserts a hand-checked case: b = 1, c = 7 discordant pairs give p = 2 * (1 + 8) / 2^8 = 0.0703125.

--make-fixtures DIR writes the crafted pair of runs (pair-a, pair-b, pair-shuffled) with sidecars
that test/report/compare.test.ts uses; their numbers are arbitrary inputs (seeded numpy draws).
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
from scipy.stats import binomtest, spearmanr
from sklearn.metrics import f1_score

M = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & M


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M


class Rng:
    """Port of src/util/rng.ts (xoshiro128** seeded through splitmix32)."""

    def __init__(self, seed, stream=0):
        self.x = (seed ^ imul(stream + 1, 0x9E3779B9)) & M
        self.s = [self._sm() for _ in range(4)]
        if not any(self.s):
            self.s[0] = 1

    def _sm(self):
        self.x = (self.x + 0x9E3779B9) & M
        z = self.x
        z = imul(z ^ (z >> 16), 0x85EBCA6B)
        z = imul(z ^ (z >> 13), 0xC2B2AE35)
        return (z ^ (z >> 16)) & M

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = imul(rotl(imul(s1, 5), 7), 9)
        t = (s1 << 9) & M
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def next(self):
        hi = self.next_u32() >> 5
        lo = self.next_u32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def int(self, n):
        return math.floor(self.next() * n)


def load(path):
    with open(path) as f:
        return json.load(f)


def sidecar(results_path, task):
    rel = task.get("predictionsFile")
    if not rel:
        sys.exit(f"{results_path}: task {task['task']} has no predictionsFile")
    with open(os.path.join(os.path.dirname(results_path), rel)) as f:
        return json.load(f)


def bootstrap(n, fns, gold, pa, pb, seed, resamples, alpha, rng_kind):
    diffs = [[] for _ in fns]
    if rng_kind == "xoshiro":
        rng = Rng(seed)
        draw = lambda: np.array([rng.int(n) for _ in range(n)], dtype=np.int64)
    else:
        gen = np.random.default_rng(seed)
        draw = lambda: gen.integers(0, n, size=n)
    for _ in range(resamples):
        idx = draw()
        g = gold[idx]
        for k, fn in enumerate(fns):
            d = fn(g, pb[idx]) - fn(g, pa[idx])
            if not math.isnan(d):
                diffs[k].append(d)
    out = []
    for k, fn in enumerate(fns):
        d = sorted(diffs[k])
        R = len(d)
        # Two-sided bootstrap p-value of "no difference": twice the smaller share of resampled
        # differences on either side of 0 (ties count on both sides); no +1 correction, so that
        # p <= alpha goes with the percentile interval excluding 0.
        below = sum(1 for x in d if x <= 0)
        above = sum(1 for x in d if x >= 0)
        out.append(dict(difference=fn(gold, pb) - fn(gold, pa),
                        ciLow=d[math.floor((alpha / 2) * R)], ciHigh=d[math.ceil((1 - alpha / 2) * R) - 1],
                        bootstrapP=min(1.0, 2 * min(below, above) / R)))
    return out


def acc(g, p):
    return 100.0 * float(np.mean(g == p))


def f1(g, p):
    return 100.0 * float(f1_score(g, p, pos_label=1, average="binary", zero_division=0))


def pear(g, p):
    if np.std(g) == 0 or np.std(p) == 0:
        return float("nan")
    return 100.0 * float(np.corrcoef(g, p)[0, 1])


def spear(g, p):
    return 100.0 * float(spearmanr(g, p).statistic)


def compare_set(task, metric_suffix, kind, a, b, want_f1, seed, resamples, alpha, rng_kind):
    gold = np.asarray(a["gold"], dtype=float)
    if not np.array_equal(gold, np.asarray(b["gold"], dtype=float)):
        sys.exit(f"{task}: gold labels differ")
    pa = np.asarray(a["pred"], dtype=float)
    pb = np.asarray(b["pred"], dtype=float)
    n = len(gold)
    name = lambda m: f"{m}_{metric_suffix}" if metric_suffix else m
    rows = []
    if kind == "class":
        fns = [acc] + ([f1] if want_f1 else [])
        boot = bootstrap(n, fns, gold, pa, pb, seed, resamples, alpha, rng_kind)
        ra = pa == gold
        rb = pb == gold
        b_ = int(np.sum(ra & ~rb))
        c_ = int(np.sum(~ra & rb))
        p = 1.0 if b_ + c_ == 0 else float(binomtest(min(b_, c_), b_ + c_, 0.5).pvalue)
        rows.append(dict(task=task, metric=name("acc"), n=n, a=acc(gold, pa), b=acc(gold, pb), pValue=p,
                         discordant=[b_, c_], **boot[0]))
        if want_f1:
            rows.append(dict(task=task, metric=name("f1"), n=n, a=f1(gold, pa), b=f1(gold, pb), **boot[1]))
    else:
        boot = bootstrap(n, [pear, spear], gold, pa, pb, seed, resamples, alpha, rng_kind)
        rows.append(dict(task=task, metric=name("pearson"), n=n, a=pear(gold, pa), b=pear(gold, pb), **boot[0]))
        rows.append(dict(task=task, metric=name("spearman"), n=n, a=spear(gold, pa), b=spear(gold, pb), **boot[1]))
    return rows


def check(path_a, path_b, seed, resamples, alpha, rng_kind):
    ra = load(path_a)
    rb = load(path_b)
    rows = []
    for key, ta in ra["tasks"].items():
        tb = rb["tasks"].get(key)
        if tb is None:
            continue
        sa = sidecar(path_a, ta)
        sb = sidecar(path_b, tb)
        want_f1 = "f1" in ta["metrics"] or "f1" in tb["metrics"]
        rows += compare_set(key, "", sa["kind"], sa, sb, want_f1, seed, resamples, alpha, rng_kind)
        for split, xa in (sa.get("extra") or {}).items():
            xb = (sb.get("extra") or {}).get(split)
            if xb is not None:
                suffix = split[5:] if split.startswith("test_") else split
                rows += compare_set(key, suffix, sa["kind"], xa, xb, want_f1, seed, resamples, alpha, rng_kind)
    return rows


def hand_checked():
    # b = 1, c = 7: P(X <= 1 | n = 8, p = 1/2) = (C(8,0) + C(8,1)) / 256 = 9/256; two-sided doubles it.
    p = binomtest(1, 8, 0.5).pvalue
    assert abs(p - 0.0703125) < 1e-15, p
    # Accuracy and positive-class F1 on five examples: gold 1 1 0 0 1, pred 1 0 0 1 1:
    # 3 right -> 60%; tp 2, fp 1, fn 1 -> F1 = 2*2 / (2*2 + 1 + 1) = 2/3.
    g = np.array([1, 1, 0, 0, 1])
    pr = np.array([1, 0, 0, 1, 1])
    assert acc(g, pr) == 60.0
    assert abs(f1(g, pr) - 200.0 / 3) < 1e-12
    # The Rng port's first draws (seed 1111), for the TS test to compare with src/util/rng.ts.
    r = Rng(1111)
    first = [r.next_u32() for _ in range(4)]
    return dict(mcnemar_b1_c7=p, first_u32_seed1111=first)


def make_fixtures(out):
    def h(s):
        return hashlib.sha256(s.encode()).hexdigest()

    rng = np.random.default_rng(20240611)
    settings = dict(config="paper", kfold=10, optim="adam", batchSize=64, tenacity=5, epochSize=4, maxEpoch=200,
                    nhid=0, dropout=0, lossReduction="mean", stsLowScores="faithful", encoderBatchSize=128)
    n_trec, n_mrpc, n_sick, n_mnli = 500, 600, 500, 300
    gold = {
        "TREC": rng.integers(0, 6, n_trec),
        "MRPC": (rng.random(n_mrpc) < 0.66).astype(int),
        "SICK-R": np.round(rng.uniform(1, 5, n_sick), 1),  # rounded: ties exercise Spearman's average ranks
        "MultiNLI": rng.integers(0, 3, n_mnli),
        "MultiNLI_mm": rng.integers(0, 3, n_mnli),
    }

    def noisy_class(g, k, p_right):
        right = rng.random(len(g)) < p_right
        wrong = (g + rng.integers(1, k, len(g))) % k
        return np.where(right, g, wrong)

    preds = {}
    for sys_, (p_trec, p_mrpc, s_sick, p_mnli) in {"a": (0.78, 0.71, 0.65, 0.60), "b": (0.85, 0.72, 0.55, 0.61)}.items():
        preds[sys_] = {
            "TREC": noisy_class(gold["TREC"], 6, p_trec),
            "MRPC": noisy_class(gold["MRPC"], 2, p_mrpc),
            "SICK-R": np.clip(gold["SICK-R"] + rng.normal(0, s_sick, n_sick), 1, 5).round(4),
            "MultiNLI": noisy_class(gold["MultiNLI"], 3, p_mnli),
            "MultiNLI_mm": noisy_class(gold["MultiNLI_mm"], 3, p_mnli),
        }

    def write_run(name, p, shuffle_mrpc=False):
        side = os.path.join(out, f"{name}.predictions")
        os.makedirs(side, exist_ok=True)
        tasks = {}
        for task, kind, main in (("TREC", "class", "acc"), ("MRPC", "class", "acc"), ("SICK-R", "score", "pearson"),
                                 ("MultiNLI", "class", "acc")):
            g = gold[task]
            pr = p[task]
            if shuffle_mrpc and task == "MRPC":
                perm = np.random.default_rng(5).permutation(len(g))
                g, pr = g[perm], pr[perm]
            doc = dict(schemaVersion=1, task=task, kind=kind, split="test",
                       gold=[float(x) if kind == "score" else int(x) for x in g],
                       pred=[float(x) if kind == "score" else int(x) for x in pr])
            if task == "MultiNLI":
                doc["extra"] = {"test_mismatched": dict(gold=[int(x) for x in gold["MultiNLI_mm"]],
                                                        pred=[int(x) for x in p["MultiNLI_mm"]])}
            with open(os.path.join(side, f"{task}.json"), "w") as f:
                json.dump(doc, f, separators=(",", ":"))
            gg = np.asarray(doc["gold"], float)
            pp = np.asarray(doc["pred"], float)
            if kind == "class":
                metrics = dict(devacc=0.0, acc=round(acc(gg, pp), 2))
                if task == "MRPC":
                    metrics["f1"] = round(f1(gg, pp), 2)
                if task == "MultiNLI":
                    x = doc["extra"]["test_mismatched"]
                    metrics["acc_mismatched"] = round(acc(np.asarray(x["gold"]), np.asarray(x["pred"])), 2)
            else:
                metrics = dict(devpearson=0.0, pearson=round(pear(gg, pp) / 100, 4), spearman=round(spear(gg, pp) / 100, 4), mse=0.0)
            tasks[task] = dict(task=task, protocol="split", metrics=metrics, mainMetric=main, samples={"test": len(g)},
                               wallSeconds=1.0, encodeSeconds=0.5, dataFiles=[], fingerprint=h("paper" + task),
                               predictionsFile=f"{name}.predictions/{task}.json")
        doc = dict(schemaVersion=1, tool=dict(name="gensen-eval", version="0.1.0"), createdAt="2025-01-01T00:00:00.000Z",
                   seed=1111, command=["gensen-eval", "evaluate", "--save-predictions"], protocol=settings,
                   protocolFingerprint=h("paper"), encoder=dict(name=f"crafted-{name}", dim=8, weightsHash=h(name), params={}),
                   tasks=tasks)
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

    write_run("pair-a", preds["a"])
    write_run("pair-b", preds["b"])
    write_run("pair-shuffled", preds["b"], shuffle_mrpc=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a", nargs="?")
    ap.add_argument("b", nargs="?")
    ap.add_argument("--seed", type=int, default=1111)
    ap.add_argument("--resamples", type=int, default=10000)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--rng", choices=["xoshiro", "numpy"], default="xoshiro")
    ap.add_argument("--make-fixtures", metavar="DIR")
    args = ap.parse_args()
    if args.make_fixtures:
        make_fixtures(args.make_fixtures)
        return
    if not (args.a and args.b):
        ap.error("name two results files")
    out = dict(seed=args.seed, resamples=args.resamples, alpha=args.alpha, rng=args.rng, handChecked=hand_checked(),
               rows=check(args.a, args.b, args.seed, args.resamples, args.alpha, args.rng))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
