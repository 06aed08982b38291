#!/usr/bin/env python3
"""W9 with PyTorch: the peer of charrnn's W9 bench rows (`npm run bench -- --workload W9 --torch` runs it in the same run).

Reads the chunks charrnn trains on (a JSON file written by bench/run.ts: V, E, H, layers, B, T and a list of chunks
{inputs, targets}, each T·B ids, time-major: element t·B + b = stream b, step t) and times the same training step on
them: Embedding V→E, torch.nn.LSTM(E, H, layers) over the [T, B] chunk with the state carried from chunk to chunk
(detached), Linear(H→V) on every step; mean cross-entropy, backward, clip_grad_norm_(5), Adam lr 2e-3.
Timing: the chunks in turn after a warm-up of two; median milliseconds per chunk over at least --time seconds (and at
least 3 chunks), and chars/s = B·T / median seconds, as the charrnn rows count them.

Usage:  python3 scripts/w9-torch.py CHUNKS.json [--threads N] [--time SECONDS] [--json]

--threads sets torch.set_num_threads (PyTorch's own OpenMP threads); OpenBLAS's threads follow
OPENBLAS_NUM_THREADS (all cores when unset), and OMP_WAIT_POLICY is read from the environment: the caller picks
the combination. Needs PyTorch (Debian: apt-get install python3-torch libopenblas0-pthread). Not part of the tests.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F


class Model(torch.nn.Module):
    def __init__(self, V, E, H, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, layers)
        self.decoder = torch.nn.Linear(H, V)

    def forward(self, ids, state):
        out, state = self.rnn(self.embedding(ids), state)
        return self.decoder(out), state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("chunks")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--time", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    with open(args.chunks, encoding="utf-8") as f:
        spec = json.load(f)
    V, E, H, layers, B, T = (spec[k] for k in ("V", "E", "H", "layers", "B", "T"))
    chunks = [
        (
            torch.tensor(c["inputs"], dtype=torch.long).view(T, B),
            torch.tensor(c["targets"], dtype=torch.long).view(T * B),
        )
        for c in spec["chunks"]
    ]
    model = Model(V, E, H, layers)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    state = None

    def step(inputs, targets):
        nonlocal state
        opt.zero_grad(set_to_none=True)
        logits, state = model(inputs, state)
        state = tuple(s.detach() for s in state)  # carried, as charrnn carries it, but not backpropagated into
        loss = F.cross_entropy(logits.view(T * B, V), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return float(loss)

    for inputs, targets in chunks[:2]:  # warm-up, as the charrnn rows
        step(inputs, targets)
    times = []
    start = time.perf_counter()
    i = 2
    while time.perf_counter() - start < args.time or len(times) < 3:
        inputs, targets = chunks[i % len(chunks)]
        t0 = time.perf_counter()
        step(inputs, targets)
        times.append(time.perf_counter() - t0)
        i += 1
    median = statistics.median(times)
    result = {
        "workload": "W9",
        "backend": "pytorch",
        "threads": args.threads,
        "openblasThreads": os.environ.get("OPENBLAS_NUM_THREADS", "all cores"),
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "charsPerSec": B * T / median,
        "medianMs": median * 1000,
        "samples": len(times),
        "torch": torch.__version__,
    }
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
