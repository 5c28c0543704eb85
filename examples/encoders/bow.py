#!/usr/bin/env python3
"""A dependency-free command encoder (protocol 1) in Python: the mean of word vectors from a
GloVe-format text file, tokens matched lowercased, zeros for a sentence with no known word.

    gensen-eval evaluate --encoder command --command "python3 examples/encoders/bow.py glove.txt"
"""
import array
import base64
import hashlib
import json
import sys


def main():
    path = sys.argv[1]
    with open(path, 'rb') as f:
        raw = f.read()
    vectors, dim = {}, 0
    for line in raw.decode('utf-8').split('\n'):
        parts = line.rstrip().split(' ')
        if len(parts) < 2:
            continue
        v = [float(x) for x in parts[1:]]
        dim = dim or len(v)
        if len(v) == dim and parts[0] not in vectors:
            vectors[parts[0]] = v
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
