#!/usr/bin/python3
"""Reference values for test/probe and test/protocol, computed with the libraries SentEval uses.

Run: /usr/bin/python3 scripts/reference/probe_reference.py
Writes test/fixtures/probe/{folds,numeric,trajectories}.json (commit them).

- folds: per-fold, per-class test counts of sklearn's StratifiedKFold(shuffle=True, random_state=1111)
  for several label vectors (the counts do not depend on the random stream; the fold order does not
  either, so they must match ours exactly).
- numeric: Python's round(x, 2), numpy's mean, sklearn's f1_score, scipy's pearsonr/spearmanr.
- trajectories: a few optimizer steps of torch (float32) models with a given init and given
  minibatches, for the probe's forward/backward/optimizer to follow.
"""
import json
import os
import zlib

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'probe')
os.makedirs(OUT, exist_ok=True)
rs = np.random.RandomState(0)


def folds_case(name, y, k):
    y = np.asarray(y)
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=1111)
    labels = []
    for v in y:
        if int(v) not in labels:
            labels.append(int(v))
    counts = []
    for _, test in skf.split(np.zeros(len(y)), y):
        counts.append([int((y[test] == c).sum()) for c in labels])
    return {'name': name, 'k': k, 'y': [int(v) for v in y], 'labels': labels, 'testCounts': counts}


cases = [
    folds_case('balanced-binary', [i % 2 for i in range(100)], 10),
    folds_case('imbalanced-binary-odd', list(rs.choice([0, 1], size=103, p=[0.3, 0.7])), 10),
    folds_case('trec-like-6', list(rs.choice(6, size=547, p=[0.02, 0.21, 0.23, 0.22, 0.15, 0.17])), 10),
    folds_case('labels-out-of-order', [5] * 7 + [2] * 13 + [9] * 4 + [2, 5, 9] * 3, 4),
    folds_case('min-class-equals-k', [0] * 5 + [1] * 30 + [2] * 11, 5),
    folds_case('sick-like-3-sorted', sorted(list(rs.choice(3, size=250))), 10),
]
with open(os.path.join(OUT, 'folds.json'), 'w') as f:
    json.dump(cases, f)

# Python round(), including exact ties (x.125, x.375 are exact binary fractions) and the
# accuracies of every count c/n for a few fold sizes.
round_in = [0.125, 0.375, 2.675, 1.005, 12.125, 99.995, 85.125, 0.5, 1.5, 2.5, -0.125, 33.33333, 66.665]
for n in (8, 40, 377, 960, 1066):
    for c in range(0, n + 1, max(1, n // 97)):
        round_in.append(100 * (1.0 * c / n))
rounds = [[x, round(x, 2)] for x in round_in]
means = []
for n in (3, 7, 8, 10, 13, 40, 129, 300):
    a = list(rs.uniform(0, 100, size=n) * 10.0 ** rs.randint(-6, 6, size=n))
    means.append([a, float(np.mean(a))])
    b = [round(100 * v, 2) for v in rs.uniform(0.6, 0.9, size=n)]
    means.append([b, float(np.mean(b))])
f1 = []
for n in (10, 57, 400):
    g = rs.randint(0, 2, size=n)
    p = np.where(rs.uniform(size=n) < 0.8, g, 1 - g)
    f1.append([g.tolist(), p.tolist(), round(100 * f1_score(g, p), 2)])
f1.append([[0, 0, 1], [0, 0, 0], round(100 * f1_score([0, 0, 1], [0, 0, 0], zero_division=0), 2)])
corr = []
for n in (5, 30, 200):
    a = rs.normal(size=n)
    b = a + rs.normal(size=n)
    a_t = np.round(a * 2) / 2  # ties for the rank correlation
    corr.append([a_t.tolist(), b.tolist(), float(pearsonr(a_t, b)[0]), float(spearmanr(a_t, b)[0])])
with open(os.path.join(OUT, 'numeric.json'), 'w') as f:
    json.dump({'round2': rounds, 'mean': means, 'f1': f1, 'corr': corr}, f)


def flat_params(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]).astype(float).tolist()


def trajectory(name, d, C, nhid, optim, wd, reduction, steps=6, bs=8, n=40, relatedness=False):
    torch.manual_seed(zlib.crc32(name.encode()) % 1000)
    X = torch.randn(n, d)
    if relatedness:
        model = torch.nn.Sequential(torch.nn.Linear(d, 5), torch.nn.Softmax(dim=-1))
        scores = rs.uniform(1, 5, size=n)
        T = np.zeros((n, 5), dtype=np.float32)  # Tai targets, built independently of the TS code
        for i, s in enumerate(scores):
            f = int(np.floor(s))
            if f < 5:
                T[i, f] = s - f  # class f+1 (0-based index f)
            T[i, f - 1] = f - s + 1
        y = torch.from_numpy(T)
        loss_fn = torch.nn.MSELoss(reduction=reduction)
    else:
        if nhid == 0:
            model = torch.nn.Sequential(torch.nn.Linear(d, C))
        else:
            model = torch.nn.Sequential(torch.nn.Linear(d, nhid), torch.nn.Dropout(p=0.0),
                                        torch.nn.Sigmoid(), torch.nn.Linear(nhid, C))
        y = torch.from_numpy(rs.randint(0, C, size=n)).long()
        loss_fn = torch.nn.CrossEntropyLoss(reduction=reduction)
    init = flat_params(model)
    if optim == 'adam':
        opt = torch.optim.Adam(model.parameters(), weight_decay=wd)
    else:
        opt = torch.optim.RMSprop(model.parameters(), weight_decay=wd)
    batches, losses, params = [], [], []
    for _ in range(steps):
        idx = rs.choice(n, size=bs, replace=False)
        batches.append(idx.tolist())
        out = model(X[torch.from_numpy(idx)])
        loss = loss_fn(out, y[torch.from_numpy(idx)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        params.append(flat_params(model))
    case = {'name': name, 'd': d, 'nclasses': 5 if relatedness else C, 'nhid': nhid, 'optim': optim,
            'weightDecay': wd, 'reduction': reduction, 'relatedness': relatedness,
            'X': X.numpy().astype(float).ravel().tolist(), 'init': init, 'batches': batches,
            'losses': losses, 'params': params}
    if relatedness:
        case['targets'] = y.numpy().astype(float).ravel().tolist()
    else:
        case['y'] = y.numpy().tolist()
    return case


traj = [
    trajectory('logreg-binary-adam-mean', 12, 2, 0, 'adam', 1e-3, 'mean'),
    trajectory('logreg-binary-adam-sum', 12, 2, 0, 'adam', 1e-2, 'sum'),
    trajectory('logreg-3class-adam-mean', 9, 3, 0, 'adam', 1e-4, 'mean'),
    trajectory('logreg-6class-adam-sum', 16, 6, 0, 'adam', 1e-5, 'sum'),
    trajectory('logreg-binary-rmsprop-mean', 12, 2, 0, 'rmsprop', 1e-3, 'mean'),
    trajectory('mlp-3class-adam-mean', 10, 3, 4, 'adam', 1e-3, 'mean'),
    trajectory('relatedness-mean', 11, 5, 0, 'adam', 0.0, 'mean', relatedness=True),
    trajectory('relatedness-sum', 11, 5, 0, 'adam', 0.0, 'sum', relatedness=True),
]
with open(os.path.join(OUT, 'trajectories.json'), 'w') as f:
    json.dump(traj, f)
print('wrote', OUT)
