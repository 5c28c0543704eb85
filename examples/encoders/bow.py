#!/usr/bin/env python3
"""A dependency-free command encoder (protocol 1) in Python: the mean of word vectors from a
GloVe-format text file, tokens matched lowercased, zeros for a sentence with no known word. Values
are read as float32, as --encoder bow holds them.

    gensen-eval export-vectors --tasks SICK-E,STS-B --out vectors.txt     # the bow encoder's vectors
    gensen-eval evaluate --encoder command --command "python3 examples/encoders/bow.py vectors.txt --dim 100"

"--dim N" refuses a file whose vectors are not N-d (e.g. 102 numbers per word).
"""
import array
import base64
import hashlib
import json
import math
import sys

USAGE = 'usage: bow.py VECTORS.txt [--dim N]'


def fail(msg):
    print('bow.py: %s' % msg, file=sys.stderr)
    sys.exit(2)


def main():
    args, path, want = sys.argv[1:], None, None
    i = 0
    while i < len(args):
        if args[i] == '--dim':
            i += 1
            if i >= len(args) or not args[i].isdigit() or int(args[i]) < 1:
                fail('--dim needs a positive integer; ' + USAGE)
            want = int(args[i])
        elif path is None and not args[i].startswith('--'):
            path = args[i]
        else:
            fail("unexpected argument '%s'; %s" % (args[i], USAGE))
        i += 1
    if path is None:
        fail(USAGE)
    with open(path, 'rb') as f:
        raw = f.read()
    vectors, dim, dim_line = {}, 0, 0
    for n, line in enumerate(raw.decode('utf-8').split('\n')):
        parts = line.rstrip().split(' ')
        if len(parts) < 2:
            continue
        # word2vec's text format starts with a "count dim" line.
        if n == 0 and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            continue
        try:
            v = list(array.array('f', [float(x) for x in parts[1:]]))
        except (ValueError, OverflowError):
            fail('%s:%d: a value that is not a number' % (path, n + 1))
        if not all(math.isfinite(x) for x in v):
            fail('%s:%d: a value that is not a finite number' % (path, n + 1))
        if dim == 0:
            dim, dim_line = len(v), n + 1
        # One vector length for the whole file: a mixed file is a broken export, not something to skip.
        if len(v) != dim:
            fail('%s:%d: %d numbers after the word, but line %d has %d' % (path, n + 1, len(v), dim_line, dim))
        if parts[0] not in vectors:
            vectors[parts[0]] = v
    if dim == 0:
        fail('%s: no "word v1 v2 ..." line' % path)
    if want is not None and dim != want:
        fail('%s: %d numbers per word, expected %d (--dim)' % (path, dim, want))
    print('bow.py: %d words, %d-d' % (len(vectors), dim), file=sys.stderr)
    fingerprint = hashlib.sha256(raw).hexdigest()

    def embed(tokens):
        acc, n = [0.0] * dim, 0
        for t in tokens:
            v = vectors.get(t.lower())
            if v is None:
                continue
            n += 1
            for j in range(dim):
                acc[j] += v[j]
        return [x / n for x in acc] if n else acc

    def send(msg):
        sys.stdout.write(json.dumps(msg) + '\n')
        sys.stdout.flush()

    for line in sys.stdin:
        msg = json.loads(line)
        if msg['type'] == 'hello':
            send({'type': 'hello', 'protocol': 1, 'name': 'bow-py', 'dim': dim, 'fingerprint': fingerprint})
        elif msg['type'] == 'prepare':
            send({'type': 'prepared', 'key': ''})
        elif msg['type'] == 'encode':
            out = array.array('f')
            for tokens in msg['batch']:
                out.extend(embed(tokens))
            if sys.byteorder != 'little':
                out.byteswap()
            send({'type': 'vectors', 'id': msg['id'], 'f32': base64.b64encode(out.tobytes()).decode('ascii')})
        elif msg['type'] == 'close':
            break


if __name__ == '__main__':
    main()
