#!/usr/bin/python3
"""SentEval's SST5 accuracy for the bow encoder, computed with SentEval's own classifier code path.

Run from the repository root (torch + numpy, Debian's python3; CPU):
    /usr/bin/python3 scripts/reference/sst5_reference.py [DATA_DIR]
DATA_DIR defaults to $SENTEVAL_DATA or ../shared/senteval-data. Writes
test/fixtures/sst5/bow-reference.json (commit it); test/evaluate/sst5-bow.test.ts checks that the
harness's SST5 accuracy is within 1.0 point of it.

Re-expresses, line by line where it matters:
- senteval/sst.py SSTEval(nclasses=5): utf-8, `line.strip().split(' ', 1)`, label int(first),
  tokens second.split(); each split sorted by (len(tokens), label); encoded in batches of 128 with
  the bow batcher (senteval_bow.py);
- senteval/tools/validation.py SplitClassifier.run: for reg in [1e-5, 1e-4, 1e-3, 1e-2] a fresh
  MLP (seed 1111) fit on train with early stopping on dev, score round(100 * dev acc, 2); the first
  best reg; a fresh MLP with it, fit again, test accuracy round(100 * acc, 2);
- senteval/tools/classifier.py PyTorchClassifier/MLP (nhid 0): np.random.seed + torch.manual_seed
  at creation, Linear(d, 5), CrossEntropyLoss (its `size_average = False` is a no-op on this torch:
  the loss is the mean, as PROTOCOL.md says the reference numbers were measured), optimizer with
  weight_decay = reg, `fit` = rounds of `epoch_size` epochs of np.random.permutation minibatches,
  dev accuracy after each round, keep the best (strictly greater), stop at the (tenacity+1)-th
  non-improving round or past max_epoch.
Two classifier configurations: `paper` (adam, batch 64, tenacity 5, epoch_size 4) and `fast`
(SentEval's prototyping config: rmsprop, batch 128, tenacity 3, epoch_size 2), max_epoch 200.
"""
import copy
import io
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import senteval_bow  # noqa: E402

SEED = 1111
CONFIGS = {
    'paper': {'optim': 'adam', 'batch_size': 64, 'tenacity': 5, 'epoch_size': 4, 'max_epoch': 200},
    'fast': {'optim': 'rmsprop', 'batch_size': 128, 'tenacity': 3, 'epoch_size': 2, 'max_epoch': 200},
}


def load_sst5(data_dir):
    out = {}
    for split in ('train', 'dev', 'test'):
        X, y = [], []
        with io.open(os.path.join(data_dir, 'SST', 'fine', 'sentiment-' + split), 'r', encoding='utf-8') as f:
            for line in f:
                sample = line.strip().split(' ', 1)
                y.append(int(sample[0]))
                X.append(sample[1].split())
        out[split] = (X, y)
    return out


class MLP(object):
    def __init__(self, cfg, inputdim, nclasses, l2reg, seed=SEED):
        np.random.seed(seed)
        torch.manual_seed(seed)
        self.inputdim, self.nclasses, self.l2reg = inputdim, nclasses, l2reg
        self.batch_size = cfg['batch_size']
        self.tenacity = cfg['tenacity']
        self.epoch_size = cfg['epoch_size']
        self.max_epoch = cfg['max_epoch']
        self.model = nn.Sequential(nn.Linear(self.inputdim, self.nclasses))
        self.loss_fn = nn.CrossEntropyLoss()
        self.loss_fn.size_average = False
        optim_fn = torch.optim.Adam if cfg['optim'] == 'adam' else torch.optim.RMSprop
        self.optimizer = optim_fn(self.model.parameters())
        self.optimizer.param_groups[0]['weight_decay'] = self.l2reg

    def fit(self, X, y, validation_data):
        self.nepoch = 0
        bestaccuracy = -1
        stop_train = False
        early_stop_count = 0
        trainX = torch.from_numpy(X).to(dtype=torch.float32)
        trainy = torch.from_numpy(y).to(dtype=torch.int64)
        devX = torch.from_numpy(validation_data[0]).to(dtype=torch.float32)
        devy = torch.from_numpy(validation_data[1]).to(dtype=torch.int64)
        while not stop_train and self.nepoch <= self.max_epoch:
            self.trainepoch(trainX, trainy, epoch_size=self.epoch_size)
            accuracy = self.score(devX, devy)
            if accuracy > bestaccuracy:
                bestaccuracy = accuracy
                bestmodel = copy.deepcopy(self.model)
            else:
                if early_stop_count >= self.tenacity:
                    stop_train = True
                early_stop_count += 1
        self.model = bestmodel
        return bestaccuracy

    def trainepoch(self, X, y, epoch_size=1):
        self.model.train()
        for _ in range(self.nepoch, self.nepoch + epoch_size):
            permutation = np.random.permutation(len(X))
            for i in range(0, len(X), self.batch_size):
                idx = torch.from_numpy(permutation[i:i + self.batch_size]).long()
                output = self.model(X[idx])
                loss = self.loss_fn(output, y[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
        self.nepoch += epoch_size

    def score(self, devX, devy):
        self.model.eval()
        if not isinstance(devX, torch.Tensor):
            devX = torch.from_numpy(devX).to(dtype=torch.float32)
            devy = torch.from_numpy(devy).to(dtype=torch.int64)
        correct = 0
        with torch.no_grad():
            for i in range(0, len(devX), self.batch_size):
                output = self.model(devX[i:i + self.batch_size])
                pred = output.data.max(1)[1]
                correct += pred.long().eq(devy[i:i + self.batch_size].long()).sum().item()
        return 1.0 * correct / len(devX)


def split_classifier(cfg, X, y, nclasses):
    regs = [10 ** t for t in range(-5, -1)]
    scores = []
    for reg in regs:
        clf = MLP(cfg, X['train'].shape[1], nclasses, reg)
        clf.fit(X['train'], y['train'], validation_data=(X['valid'], y['valid']))
        scores.append(round(100 * clf.score(X['valid'], y['valid']), 2))
    optreg = regs[int(np.argmax(scores))]
    devaccuracy = float(np.max(scores))
    clf = MLP(cfg, X['train'].shape[1], nclasses, optreg)
    clf.fit(X['train'], y['train'], validation_data=(X['valid'], y['valid']))
    testaccuracy = round(100 * clf.score(X['test'], y['test']), 2)
    return {'devacc': devaccuracy, 'acc': testaccuracy, 'l2': optreg, 'devScores': scores}


def main():
    root = senteval_bow.ROOT
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('SENTEVAL_DATA', os.path.join(root, '..', 'shared', 'senteval-data'))
    torch.set_num_threads(1)
    data = load_sst5(data_dir)
    samples = [s for X, _ in data.values() for s in X]
    word_vec, dim, stats = senteval_bow.load_word_vec(samples)
    embed = {}
    for key, (X, y) in data.items():
        sorted_data = sorted(zip(X, y), key=lambda z: (len(z[0]), z[1]))
        X, y = map(list, zip(*sorted_data))
        chunks = [senteval_bow.batcher(word_vec, dim, X[ii:ii + 128]) for ii in range(0, len(y), 128)]
        embed[key] = (np.vstack(chunks), np.array(y))
    Xs = {'train': embed['train'][0], 'valid': embed['dev'][0], 'test': embed['test'][0]}
    ys = {'train': embed['train'][1], 'valid': embed['dev'][1], 'test': embed['test'][1]}
    out = {
        'generator': 'scripts/reference/sst5_reference.py (SentEval sst.py + SplitClassifier + MLP, torch %s)' % torch.__version__,
        'vectors': '%s@%s' % (senteval_bow.PACKAGE, senteval_bow.package_version()),
        'vectorStats': stats,
        'samples': {k: int(len(v[1])) for k, v in embed.items()},
        'seed': SEED,
        'lossReduction': 'mean',
        'configs': {},
    }
    for name, cfg in CONFIGS.items():
        r = split_classifier(cfg, Xs, ys, 5)
        out['configs'][name] = dict(cfg, **r)
        print(name, r)
    dest = os.path.join(root, 'test', 'fixtures', 'sst5', 'bow-reference.json')
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print('wrote', dest)


if __name__ == '__main__':
    main()
