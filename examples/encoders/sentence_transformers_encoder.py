#!/usr/bin/env python3
"""A command encoder (protocol 1) for any sentence-transformers model.

    pip install sentence-transformers
    gensen-eval evaluate --encoder command \
      --command "python3 examples/encoders/sentence_transformers_encoder.py sentence-transformers/all-MiniLM-L6-v2"

A sentence is the task's tokens joined by single spaces. The fingerprint is the model name and its
resolved revision: change it (or pass --no-cache) if you change the model's files in place.
"""
import base64
import json
import sys

import numpy as np
from sentence_transformers import SentenceTransformer


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else 'sentence-transformers/all-MiniLM-L6-v2'
    model = SentenceTransformer(name)
    dim = model.get_sentence_embedding_dimension()
    revision = getattr(getattr(model, 'model_card_data', None), 'base_model_revision', None) or 'unknown'

    def send(msg):
        sys.stdout.write(json.dumps(msg) + '\n')
        sys.stdout.flush()

    for line in sys.stdin:
        msg = json.loads(line)
        if msg['type'] == 'hello':
            send({'type': 'hello', 'protocol': 1, 'name': name, 'dim': dim, 'fingerprint': '%s@%s' % (name, revision)})
        elif msg['type'] == 'prepare':
            send({'type': 'prepared', 'key': ''})
        elif msg['type'] == 'encode':
            try:
                sentences = [' '.join(tokens) for tokens in msg['batch']]
                vecs = model.encode(sentences, batch_size=len(sentences) or 1, convert_to_numpy=True)
                f32 = np.ascontiguousarray(vecs, dtype='<f4').tobytes()
                send({'type': 'vectors', 'id': msg['id'], 'f32': base64.b64encode(f32).decode('ascii')})
            except Exception as e:  # one line for the harness; the traceback goes to stderr
                import traceback
                traceback.print_exc()
                send({'type': 'error', 'message': '%s: %s' % (type(e).__name__, e)})
        elif msg['type'] == 'close':
            break


if __name__ == '__main__':
    main()
