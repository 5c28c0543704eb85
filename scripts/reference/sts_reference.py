#!/usr/bin/python3
"""Expected STS12-STS16 numbers of the bow encoder, computed as SentEval computes them.

Run from the repository root (numpy + scipy, Debian's python3):
    /usr/bin/python3 scripts/reference/sts_reference.py [DATA_DIR]
DATA_DIR defaults to $SENTEVAL_DATA or ../shared/senteval-data. Writes
test/fixtures/sts/bow-reference.json (commit it); test/evaluate/sts-bow.test.ts checks the harness
against it on the real data: to 1e-4 against `years` (SentEval as it runs, float64 sentence
vectors) and to 1e-9 against `float32Vectors` (the same vectors rounded to float32, which is what
the harness's encoders return).

Re-expresses senteval/sts.py (STSEval.loadFile and STSEval.run) over SentEval's bow batcher
(senteval_bow.py): per dataset, `l.split("\\t")` of `read().splitlines()` of STS.input.<ds>.txt
(utf-8), gold lines from STS.gs.<ds>.txt, pairs with an empty gold line dropped, tokens by
str.split(); sorted by (len(s1), len(s2), gold); encoded in batches of params.batch_size (128);
score = np.nan_to_num(cosine(np.nan_to_num(u), np.nan_to_num(v))); scipy.stats pearsonr and
spearmanr per dataset; `all`: np.average of the datasets' correlations, unweighted and weighted
by their sample counts, and the correlations of the concatenated scores of every dataset.
(SentEval's `np.array([s.split() ...])[not_empty_idx]` needs dtype=object on numpy >= 1.24; the
list comprehension below is the same selection.)
"""
import hashlib
import io
import json
import os
import sys

import numpy as np
from scipy.stats import pearsonr, spearmanr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import senteval_bow  # noqa: E402

YEARS = {
    'STS12': ['MSRpar', 'MSRvid', 'SMTeuroparl', 'surprise.OnWN', 'surprise.SMTnews'],
    'STS13': ['FNWN', 'headlines', 'OnWN'],
    'STS14': ['deft-forum', 'deft-news', 'headlines', 'images', 'OnWN', 'tweet-news'],
    'STS15': ['answers-forums', 'answers-students', 'belief', 'headlines', 'images'],
    'STS16': ['answer-answer', 'headlines', 'plagiarism', 'postediting', 'question-question'],
}
BATCH_SIZE = 128


def cosine(u, v):
    # senteval.utils.cosine
    return np.dot(u, v) / np.sqrt(np.dot(u, u) * np.dot(v, v))


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_year(data_dir, year):
    fpath = os.path.join(data_dir, 'STS', year + '-en-test')
    data = {}
    files = []
    for dataset in YEARS[year]:
        inp = os.path.join(fpath, 'STS.input.%s.txt' % dataset)
        gs = os.path.join(fpath, 'STS.gs.%s.txt' % dataset)
        files += [inp, gs]
        sent1, sent2 = zip(*[l.split("\t") for l in io.open(inp, encoding='utf8').read().splitlines()])
        raw_scores = np.array([x for x in io.open(gs, encoding='utf8').read().splitlines()])
        not_empty_idx = raw_scores != ''
        gs_scores = [float(x) for x in raw_scores[not_empty_idx]]
        sent1 = [s.split() for s, keep in zip(sent1, not_empty_idx) if keep]
        sent2 = [s.split() for s, keep in zip(sent2, not_empty_idx) if keep]
        sorted_data = sorted(zip(sent1, sent2, gs_scores), key=lambda z: (len(z[0]), len(z[1]), z[2]))
        sent1, sent2, gs_scores = map(list, zip(*sorted_data))
        data[dataset] = (sent1, sent2, gs_scores)
    return data, files


def run_year(data, datasets, word_vec, dim, float32=False):
    similarity = lambda s1, s2: np.nan_to_num(cosine(np.nan_to_num(s1), np.nan_to_num(s2)))
    results = {}
    all_sys_scores = []
    all_gs_scores = []
    for dataset in datasets:
        sys_scores = []
        input1, input2, gs_scores = data[dataset]
        for ii in range(0, len(gs_scores), BATCH_SIZE):
            batch1 = input1[ii:ii + BATCH_SIZE]
            batch2 = input2[ii:ii + BATCH_SIZE]
            if len(batch1) == len(batch2) and len(batch1) > 0:
                enc1 = senteval_bow.batcher(word_vec, dim, batch1)
                enc2 = senteval_bow.batcher(word_vec, dim, batch2)
                if float32:
                    # The harness hands sentence vectors over as float32 (src/util/matrix.ts).
                    enc1 = enc1.astype(np.float32).astype(np.float64)
                    enc2 = enc2.astype(np.float32).astype(np.float64)
                for kk in range(enc2.shape[0]):
                    sys_scores.append(similarity(enc1[kk], enc2[kk]))
        all_sys_scores.extend(sys_scores)
        all_gs_scores.extend(gs_scores)
        results[dataset] = {'pearson': float(pearsonr(sys_scores, gs_scores)[0]),
                            'spearman': float(spearmanr(sys_scores, gs_scores)[0]),
                            'nsamples': len(sys_scores)}
    weights = [results[d]['nsamples'] for d in datasets]
    prs = np.array([results[d]['pearson'] for d in datasets])
    spr = np.array([results[d]['spearman'] for d in datasets])
    return {
        'datasets': results,
        'all': {
            'pearson': {'all': float(pearsonr(all_sys_scores, all_gs_scores)[0]), 'mean': float(np.average(prs)),
                        'wmean': float(np.average(prs, weights=weights))},
            'spearman': {'all': float(spearmanr(all_sys_scores, all_gs_scores)[0]), 'mean': float(np.average(spr)),
                         'wmean': float(np.average(spr, weights=weights))},
        },
    }


def main():
    root = senteval_bow.ROOT
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('SENTEVAL_DATA', os.path.join(root, '..', 'shared', 'senteval-data'))
    years = {}
    files = {}
    samples = []
    for year in YEARS:
        data, paths = load_year(data_dir, year)
        years[year] = data
        for p in paths:
            files[os.path.relpath(p, data_dir)] = sha256(p)
        for s1, s2, _ in data.values():
            samples += s1 + s2
    word_vec, dim, stats = senteval_bow.load_word_vec(samples)
    out = {
        'generator': 'scripts/reference/sts_reference.py (SentEval sts.py + bow batcher, numpy/scipy)',
        'vectors': '%s@%s' % (senteval_bow.PACKAGE, senteval_bow.package_version()),
        'vectorStats': stats,
        'batchSize': BATCH_SIZE,
        'dataFiles': files,
        'years': {year: run_year(years[year], YEARS[year], word_vec, dim) for year in YEARS},
        # The same with the sentence vectors rounded to float32, as the harness's encoders return
        # them: where SentEval's float64 means of the same words in another order differ in the
        # last bits, float32 makes them equal, so Spearman's ties (and only they) differ slightly.
        'float32Vectors': {year: run_year(years[year], YEARS[year], word_vec, dim, float32=True) for year in YEARS},
    }
    dest = os.path.join(root, 'test', 'fixtures', 'sts', 'bow-reference.json')
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, 'w') as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write('\n')
    for year, r in out['years'].items():
        print(year, 'spearman mean %.4f wmean %.4f all %.4f; pearson mean %.4f' % (
            r['all']['spearman']['mean'], r['all']['spearman']['wmean'], r['all']['spearman']['all'], r['all']['pearson']['mean']))
    print('vectors:', stats)
    print('wrote', dest)


if __name__ == '__main__':
    main()
