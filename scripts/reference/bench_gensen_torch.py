#!/usr/bin/python3
"""PyTorch CPU reference for scripts/bench-gensen.ts: gensen.py's Encoder.forward (embedding,
pack_padded_sequence, bidirectional GRU, pad_packed_sequence, last/max pooling) on a random
full-size model, over the batches the TS bench writes. Prints one JSON line of sentences/s.
Usage: bench_gensen_torch.py BATCHES.json THREADS
"""
import json
import sys
import time

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(int(sys.argv[2]))
    torch.manual_seed(1111)
    V, E, H, L = spec['vocab'], spec['emb'], spec['hidden'], spec['layers']
    emb = torch.nn.Embedding(V, E)
    gru = torch.nn.GRU(E, H, L, batch_first=True, bidirectional=True).eval()
    results = {}
    with torch.no_grad():
        for name, batches in spec['orders'].items():
            for pool in ('last', 'max'):
                def run_all():
                    for batch in batches:
                        lens = [len(s) for s in batch]
                        order = sorted(range(len(batch)), key=lambda i: -lens[i])
                        T = max(lens)
                        ids = torch.tensor([batch[i] + [1] * (T - lens[i]) for i in order])
                        packed = pack_padded_sequence(emb(ids), [lens[i] for i in order], batch_first=True)
                        h, h_t = gru(packed)
                        if pool == 'last':
                            torch.cat((h_t[-1], h_t[-2]), 1)
                        else:
                            h, _ = pad_packed_sequence(h, batch_first=True)
                            torch.max(h, 1)
                run_all()  # warm-up
                dt = float('inf')
                for _ in range(spec.get('reps', 2)):  # best of reps, as the TS side
                    t0 = time.perf_counter()
                    run_all()
                    dt = min(dt, time.perf_counter() - t0)
                n = sum(len(b) for b in batches)
                results['%s/%s' % (name, pool)] = n / dt
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'sentencesPerSecond': results}))


if __name__ == '__main__':
    main()
