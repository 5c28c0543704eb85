#!/usr/bin/python3
"""The bow encoder's numbers from the real SentEval toolkit, per configuration, task and seed.

Run from the repository root (Debian's python3: torch, numpy, scipy, sklearn; CPU):
    git -C <SentEval mirror> archive HEAD senteval | tar -x -C /tmp/senteval
    nice -n 19 /usr/bin/python3 scripts/reference/senteval_reference.py --senteval /tmp/senteval \
        [--data DIR] [--only CONFIG[:TASK[:SEED]]] ...
The SentEval checkout comes from --senteval or $SENTEVAL_REPO (a directory holding `senteval/`, and
`.git` or a SENTEVAL_COMMIT file naming its commit, or pass --commit); the data folder from --data,
$SENTEVAL_DATA or ../shared/senteval-data (the harness's layout: the task folders of SentEval's
`data/downstream`, reached through a temporary `downstream` link). Writes
test/fixtures/senteval/bow-reference.json; commit it. test/evaluate/senteval-parity.test.ts checks
the harness against it.

SentEval runs unchanged: `senteval.engine.SE(params, batcher, prepare).eval(task)` with the bow
encoder of senteval_bow.py (examples/bow.py's prepare/batcher over the harness's embedded vectors).
The only patch is for a machine without CUDA, applied here at runtime: `.cuda()` of tensors and
modules is the identity, `.to('cuda')` goes to the CPU, `torch.cuda.is_available()` answers True
(relatedness.py asserts it) and `torch.cuda.manual_seed` does nothing. torch runs on one thread.
One shim for today's Python (3.11 removed it): `inspect.getargspec`, which utils.get_optimizer
calls for the optimizer's argument names, is `inspect.getfullargspec` (same first field).

Resumable: every (config, task, seed) is written to the fixture as soon as it finishes, and a run
skips the entries already there (delete one to recompute it). Several runs may share the work: each
claims an entry before computing it (under a lock file and a claims folder in the temp folder,
named after the fixture's path) and merges its results into the file as it stands, so two workers started
with the same arguments split the plan between them. Each entry holds every scalar that
SentEval returns (`yhat`, the relatedness predictions, is left out: it is an array) and its wall time
in seconds on this machine (reference timings for the benches, measured with `nice -n 19`).
"""
import argparse
import fcntl
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import senteval_bow  # noqa: E402

# SentEval's task names beside the harness's (tasks/*.json).
TASKS = {
    'MR': 'MR', 'CR': 'CR', 'SUBJ': 'SUBJ', 'MPQA': 'MPQA', 'SST2': 'SST2', 'TREC': 'TREC', 'MRPC': 'MRPC',
    'SICK-R': 'SICKRelatedness', 'SICK-E': 'SICKEntailment', 'STS-B': 'STSBenchmark',
}
TEN = list(TASKS)
GATE = ['CR', 'TREC', 'MRPC', 'SICK-E', 'SICK-R', 'STS-B']
SEEDS = [1111, 1112, 1113]

PAPER = {'kfold': 10, 'classifier': {'nhid': 0, 'optim': 'adam', 'batch_size': 64, 'tenacity': 5, 'epoch_size': 4}}
CONFIGS = {
    # GenSen's gensen_senteval.py and the literature.
    'paper': PAPER,
    # SentEval's prototyping config (examples/bow.py, README): the CI gate's.
    'fast': {'kfold': 5, 'classifier': {'nhid': 0, 'optim': 'rmsprop', 'batch_size': 128, 'tenacity': 3, 'epoch_size': 2}},
    # paper with SentEval's MLP (Linear, Dropout, Sigmoid, Linear); dropout left at SentEval's default, 0.
    'mlp': {'kfold': 10, 'classifier': dict(PAPER['classifier'], nhid=50)},
}
# The order of the work: the CI gate's fast runs first, then every seed of one paper task before the
# next (quickest first), so that an interrupted run leaves whole seed spreads; MR's MLP, the longest, last.
PAPER_ORDER = ['TREC', 'MRPC', 'SICK-E', 'SICK-R', 'STS-B', 'SST2', 'CR', 'MPQA', 'SUBJ', 'MR']
PLAN = ([('fast', t, s) for t in GATE for s in SEEDS] + [('mlp', 'SICK-E', s) for s in SEEDS]
        + [('paper', t, s) for t in PAPER_ORDER for s in SEEDS] + [('mlp', 'MR', 1111)])

# SentEval's relatedness tasks (sick.py, RelatednessPytorch) read neither kfold nor the classifier
# config: under paper and fast they are the same computation (same seed, same encoder batches), so it
# runs once and the other config's entry is recorded from it, saying so (`sameComputationAs`).
RELATEDNESS = ('SICK-R', 'STS-B')
SAME_COMPUTATION = {'paper': 'fast', 'fast': 'paper'}

OUT = os.path.join(senteval_bow.ROOT, 'test', 'fixtures', 'senteval', 'bow-reference.json')


def patch_torch_for_cpu(torch):
    def is_cuda(d):
        return (isinstance(d, str) and d.startswith('cuda')) or (isinstance(d, torch.device) and d.type == 'cuda')

    tensor_to = torch.Tensor.to

    def to(self, *args, **kwargs):
        args = tuple('cpu' if is_cuda(a) else a for a in args)
        if is_cuda(kwargs.get('device')):
            kwargs['device'] = 'cpu'
        return tensor_to(self, *args, **kwargs)

    torch.Tensor.to = to
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    torch.cuda.is_available = lambda: True
    torch.cuda.manual_seed = lambda seed: None


def scalars(result):
    """SentEval's result dict with numpy scalars as Python numbers; arrays (yhat) left out."""
    out = {}
    for k, v in result.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = bool(v)
        elif isinstance(v, (int, np.integer)):
            out[k] = int(v)
        elif isinstance(v, (float, np.floating)):
            out[k] = float(v)
    return out


def senteval_commit(repo, given):
    if given:
        return given
    marker = os.path.join(repo, 'SENTEVAL_COMMIT')
    if os.path.exists(marker):
        with open(marker) as f:
            return f.read().strip()
    try:
        return subprocess.check_output(['git', '-C', repo, 'rev-parse', 'HEAD'], text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        sys.exit('senteval_reference.py: cannot tell the SentEval commit of %s: pass --commit or write SENTEVAL_COMMIT there' % repo)


def load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def save(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    os.replace(tmp, path)


class Ledger(object):
    """The fixture as several workers share it: an flock'd lock file, claims of entries in progress."""

    def __init__(self, path, head):
        self.path, self.head = path, head
        # Beside the workers, not the repository: /tmp/senteval-reference-<hash of the fixture's path>.*
        key = os.path.join(tempfile.gettempdir(), 'senteval-reference-' + hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:12])
        self.lock_path = key + '.lock'
        self.claims = key + '.claims'
        os.makedirs(self.claims, exist_ok=True)
        self.mine = set()

    def _locked(self, fn):
        os.makedirs(os.path.dirname(self.lock_path), exist_ok=True)
        with open(self.lock_path, 'w') as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            try:
                return fn()
            finally:
                fcntl.flock(lk, fcntl.LOCK_UN)

    def _doc(self):
        doc = load(self.path) or {}
        for k in ('senteval', 'torch', 'vectors'):
            if doc.get(k) not in (None, self.head[k]):
                sys.exit('senteval_reference.py: %s holds results of %s %s, not %s: move it away to start afresh' % (self.path, k, doc[k], self.head[k]))
        return dict(self.head, results=doc.get('results', {}))

    def check(self):
        self._locked(self._doc)

    def claim(self, cfg, task, seed):
        """True where this worker should compute the entry (not done, not claimed by a live worker)."""
        def go():
            if str(seed) in self._doc()['results'].get(cfg, {}).get(task, {}):
                return False
            marker = os.path.join(self.claims, '%s-%s-%d' % (cfg, task, seed))
            if os.path.exists(marker):
                with open(marker) as f:
                    pid = int(f.read().strip() or 0)
                if pid != os.getpid() and pid_alive(pid):
                    return False
            with open(marker, 'w') as f:
                f.write(str(os.getpid()))
            self.mine.add(marker)
            return True
        return self._locked(go)

    def record(self, cfg, task, seed, entry):
        def go():
            doc = self._doc()
            doc['results'].setdefault(cfg, {}).setdefault(task, {})[str(seed)] = entry
            # Entries in a fixed order (config, task, seed as planned), whichever worker wrote them.
            order = {(c, t, s): i for i, (c, t, s) in enumerate(PLAN)}
            rank = lambda c, t, s: order.get((c, t, int(s)), len(order))
            ordered = {}
            for c in sorted(doc['results'], key=lambda c: min(rank(c, t, s) for t in doc['results'][c] for s in doc['results'][c][t])):
                tasks = doc['results'][c]
                ordered[c] = {t: {s: tasks[t][s] for s in sorted(tasks[t])} for t in sorted(tasks, key=lambda t: min(rank(c, t, s) for s in tasks[t]))}
            doc['results'] = ordered
            save(self.path, doc)
            marker = os.path.join(self.claims, '%s-%s-%d' % (cfg, task, seed))
            if os.path.exists(marker):
                os.unlink(marker)
            self.mine.discard(marker)
        self._locked(go)

    def derive(self):
        """Records each relatedness entry of one config from the other's, where only one has run."""
        def go():
            doc = self._doc()
            added = []
            for cfg, other in SAME_COMPUTATION.items():
                for task in RELATEDNESS:
                    for seed, entry in doc['results'].get(other, {}).get(task, {}).items():
                        mine = doc['results'].get(cfg, {}).get(task, {})
                        if seed not in mine and 'sameComputationAs' not in entry:
                            mine[seed] = dict(entry, sameComputationAs=other)
                            doc['results'].setdefault(cfg, {})[task] = mine
                            added.append('%s %s %s' % (cfg, task, seed))
            if added:
                save(self.path, doc)
            return added
        return self._locked(go)

    def release(self):
        for m in list(self.mine):
            if os.path.exists(m):
                os.unlink(m)
        try:
            os.rmdir(self.claims)
        except OSError:
            pass  # another worker's claims are still there


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def selected(plan, only):
    if not only:
        return plan
    keep = []
    for cfg, task, seed in plan:
        for o in only:
            parts = o.split(':')
            if parts[0] == cfg and (len(parts) < 2 or parts[1] == task) and (len(parts) < 3 or int(parts[2]) == seed):
                keep.append((cfg, task, seed))
                break
    return keep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--senteval', default=os.environ.get('SENTEVAL_REPO'), help='SentEval checkout (holds senteval/)')
    ap.add_argument('--commit', help="SentEval's commit, where the checkout has no .git")
    ap.add_argument('--data', default=os.environ.get('SENTEVAL_DATA', os.path.join(senteval_bow.ROOT, '..', 'shared', 'senteval-data')))
    ap.add_argument('--out', default=OUT)
    ap.add_argument('--only', action='append', help='CONFIG[:TASK[:SEED]], repeatable')
    args = ap.parse_args()
    if not args.senteval or not os.path.isdir(os.path.join(args.senteval, 'senteval')):
        sys.exit('senteval_reference.py: --senteval (or SENTEVAL_REPO) must name a SentEval checkout holding senteval/')
    data = os.path.abspath(args.data)
    if not os.path.isdir(data):
        sys.exit('senteval_reference.py: no data folder at %s (--data or SENTEVAL_DATA)' % data)

    import inspect
    if not hasattr(inspect, 'getargspec'):
        inspect.getargspec = inspect.getfullargspec
    import torch
    torch.set_num_threads(1)
    patch_torch_for_cpu(torch)
    sys.path.insert(0, os.path.abspath(args.senteval))
    import senteval  # noqa: E402
    logging.basicConfig(format='%(asctime)s : %(message)s', level=logging.INFO)

    commit = senteval_commit(args.senteval, args.commit)
    head = {
        'generator': 'scripts/reference/senteval_reference.py (facebookresearch/SentEval, unchanged but for the CPU patch)',
        'senteval': commit,
        'torch': torch.__version__,
        'numpy': np.__version__,
        'python': platform.python_version(),
        'torchThreads': 1,
        'vectors': '%s@%s' % (senteval_bow.PACKAGE, senteval_bow.package_version()),
        'lossReduction': 'mean (size_average = False is a no-op on this torch)',
        'encoderBatchSize': 128,
        'configs': {name: dict(cfg) for name, cfg in CONFIGS.items()},
        'wallSeconds': 'per entry, on the machine that ran it, with nice -n 19 and one torch thread: on a shared machine an upper bound, not a clean timing',
    }
    ledger = Ledger(args.out, head)
    ledger.check()
    for d in ledger.derive():
        print('recorded', d, 'from the same computation under the other config', flush=True)

    link_dir = tempfile.mkdtemp(prefix='senteval-task-path-')
    os.symlink(data, os.path.join(link_dir, 'downstream'))

    def prepare(params, samples):
        params.word_vec, params.wvec_dim, _ = senteval_bow.load_word_vec(samples)

    def batcher(params, batch):
        return senteval_bow.batcher(params.word_vec, params.wvec_dim, batch)

    try:
        for cfg, task, seed in selected(PLAN, args.only):
            for d in ledger.derive():
                print('recorded', d, 'from the same computation under the other config', flush=True)
            if not ledger.claim(cfg, task, seed):
                continue
            conf = CONFIGS[cfg]
            params = {'task_path': link_dir, 'usepytorch': True, 'seed': seed, 'batch_size': 128,
                      'kfold': conf['kfold'], 'classifier': dict(conf['classifier'])}
            t0 = time.time()
            r = senteval.engine.SE(params, batcher, prepare).eval(TASKS[task])
            entry = dict(scalars(r), wallSeconds=round(time.time() - t0, 1))
            ledger.record(cfg, task, seed, entry)
            print('%s %s %d %s' % (cfg, task, seed, json.dumps(entry)), flush=True)
    finally:
        ledger.release()
        os.unlink(os.path.join(link_dir, 'downstream'))
        os.rmdir(link_dir)
    print('wrote', args.out)


if __name__ == '__main__':
    main()
