#!/usr/bin/python3
"""SimCSE's STS table for the bow encoder, from the copy of SentEval in SimCSE's repository.

Run from the repository root (Debian's python3: torch, numpy, scipy; CPU, no training):
    git -C <SimCSE mirror> archive HEAD SentEval/senteval | tar -x -C /tmp/simcse
    flock /tmp/gensen-heavy.lock nice -n 10 /usr/bin/python3 scripts/reference/simcse_sts_reference.py \
        --simcse /tmp/simcse/SentEval --commit <SimCSE commit> [--data DIR]
--simcse (or $SIMCSE_SENTEVAL) is a folder holding SimCSE's `senteval/`; its commit comes from --commit,
a SIMCSE_COMMIT file there, or `git rev-parse HEAD` in it. The data folder comes from --data,
$SENTEVAL_DATA or ../shared/senteval-data (the harness's layout: the task folders of SentEval's
`data/downstream`, reached through a temporary `downstream` link). Writes
test/fixtures/sts/simcse-bow-reference.json; commit it. test/evaluate/sts7-simcse.test.ts checks
`evaluate --tasks sts7` + `leaderboard --view sts7` against it.

SimCSE's `evaluation.py --mode test --task_set sts`, with its transformer batcher replaced by the bow
encoder of senteval_bow.py (SentEval's examples/bow.py over the harness's embedded vectors): params
{'task_path', 'usepytorch': True, 'kfold': 10, classifier {'nhid': 0, 'optim': 'adam', 'batch_size': 64,
'tenacity': 5, 'epoch_size': 4}} (none of which the seven tasks read but the encoder batch size, SE's
default 128); `senteval.engine.SE(params, batcher, prepare).eval(task)` for STS12-STS16,
STSBenchmark and SICKRelatedness, one SE per task; the table as evaluation.py prints it:
`results[task]['all']['spearman']['all'] * 100` for the years, `results[task]['test']['spearman']
.correlation * 100` for the other two, each '%.2f', and Avg. the '%.2f' of the mean of the printed
numbers. No CUDA is touched by these tasks, so SimCSE's SentEval runs unpatched.
"""
import argparse
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import senteval_bow  # noqa: E402

TABLE = ['STS12', 'STS13', 'STS14', 'STS15', 'STS16', 'STSBenchmark', 'SICKRelatedness']
YEARS = TABLE[:5]
# The harness's task names (tasks/*.json) for SimCSE's.
HARNESS = {'STS12': 'STS12', 'STS13': 'STS13', 'STS14': 'STS14', 'STS15': 'STS15', 'STS16': 'STS16',
           'STSBenchmark': 'STS-B-unsup', 'SICKRelatedness': 'SICK-R-unsup'}
DATA_DIRS = {'STSBenchmark': 'STS/STSBenchmark', 'SICKRelatedness': 'SICK'}
OUT = os.path.join(senteval_bow.ROOT, 'test', 'fixtures', 'sts', 'simcse-bow-reference.json')


def commit_of(repo, given):
    if given:
        return given
    marker = os.path.join(repo, 'SIMCSE_COMMIT')
    if os.path.exists(marker):
        with open(marker) as f:
            return f.read().strip()
    try:
        return subprocess.check_output(['git', '-C', repo, 'rev-parse', 'HEAD'], text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        sys.exit('simcse_sts_reference.py: cannot tell the SimCSE commit of %s: pass --commit or write SIMCSE_COMMIT there' % repo)


def data_files(data, task):
    sub = DATA_DIRS.get(task, 'STS/%s-en-test' % task)
    folder = os.path.join(data, sub)
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(('.txt', '.csv')) and name not in ('LICENSE.txt', 'readme.txt', 'README.txt'):
            with open(os.path.join(folder, name), 'rb') as f:
                out['%s/%s' % (sub, name)] = hashlib.sha256(f.read()).hexdigest()
    return out


def correlation(c):
    """scipy's pearsonr/spearmanr result (tuple-like or with .correlation/.statistic) as a float."""
    return float(c[0])


def summary(task, r):
    """The scalars of SentEval's result: per dataset (or split) Pearson, Spearman, sample count; the years' `all`."""
    out = {}
    for ds, v in r.items():
        if ds == 'all':
            out['all'] = {m: {k: float(x) for k, x in v[m].items()} for m in ('pearson', 'spearman')}
        else:
            out[ds] = {'pearson': correlation(v['pearson']), 'spearman': correlation(v['spearman']), 'nsamples': int(v['nsamples'])}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--simcse', default=os.environ.get('SIMCSE_SENTEVAL'), help="folder holding SimCSE's senteval/")
    ap.add_argument('--commit', help="SimCSE's commit, where the folder has no .git or SIMCSE_COMMIT")
    ap.add_argument('--data', default=os.environ.get('SENTEVAL_DATA', os.path.join(senteval_bow.ROOT, '..', 'shared', 'senteval-data')))
    ap.add_argument('--out', default=OUT)
    args = ap.parse_args()
    if not args.simcse or not os.path.isdir(os.path.join(args.simcse, 'senteval')):
        sys.exit("simcse_sts_reference.py: --simcse (or SIMCSE_SENTEVAL) must name a folder holding SimCSE's senteval/")
    data = os.path.abspath(args.data)
    if not os.path.isdir(data):
        sys.exit('simcse_sts_reference.py: no data folder at %s (--data or SENTEVAL_DATA)' % data)
    commit = commit_of(args.simcse, args.commit)

    import scipy
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, os.path.abspath(args.simcse))
    import senteval  # noqa: E402
    logging.basicConfig(format='%(asctime)s : %(message)s', level=logging.INFO)

    link_dir = tempfile.mkdtemp(prefix='simcse-task-path-')
    os.symlink(data, os.path.join(link_dir, 'downstream'))
    # evaluation.py --mode test
    params = {'task_path': link_dir, 'usepytorch': True, 'kfold': 10,
              'classifier': {'nhid': 0, 'optim': 'adam', 'batch_size': 64, 'tenacity': 5, 'epoch_size': 4}}
    stats = {}

    def prepare(p, samples):
        p.word_vec, p.wvec_dim, stats[p.current_task] = senteval_bow.load_word_vec(samples)

    def batcher(p, batch):
        return senteval_bow.batcher(p.word_vec, p.wvec_dim, batch)

    results = {}
    try:
        for task in TABLE:
            results[task] = senteval.engine.SE(params, batcher, prepare).eval(task)
    finally:
        os.unlink(os.path.join(link_dir, 'downstream'))
        os.rmdir(link_dir)

    # evaluation.py's print of the test table.
    scores = []
    for task in TABLE:
        if task in YEARS:
            scores.append('%.2f' % (results[task]['all']['spearman']['all'] * 100))
        else:
            scores.append('%.2f' % (results[task]['test']['spearman'].correlation * 100))
    avg = '%.2f' % (sum(float(s) for s in scores) / len(scores))
    files = {}
    for task in TABLE:
        files.update(data_files(data, task))
    doc = {
        'generator': "scripts/reference/simcse_sts_reference.py (princeton-nlp/SimCSE's SentEval copy, unchanged; evaluation.py --mode test's params and table; bow batcher of senteval_bow.py)",
        'simcse': commit,
        'torch': torch.__version__,
        'numpy': np.__version__,
        'scipy': scipy.__version__,
        'python': platform.python_version(),
        'vectors': '%s@%s' % (senteval_bow.PACKAGE, senteval_bow.package_version()),
        'encoderBatchSize': 128,
        'vectorStats': stats,
        'harnessTasks': HARNESS,
        'table': {'columns': TABLE + ['Avg.'], 'scores': scores + [avg]},
        'results': {task: summary(task, results[task]) for task in TABLE},
        'dataFiles': files,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = '%s.%d.tmp' % (args.out, os.getpid())
    with open(tmp, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    os.replace(tmp, args.out)
    print(' | '.join('%s %s' % (c, s) for c, s in zip(doc['table']['columns'], doc['table']['scores'])))
    print('wrote', args.out)


if __name__ == '__main__':
    main()
