#!/usr/bin/env python3
"""W6's PyTorch peer: batched generation from the W3 model shape (nn.Embedding(V, 64) -> nn.LSTM(64, 256, 2) ->
nn.Linear(256, V)) with S streams, temperature 1, torch.multinomial, under torch.no_grad(); the loop a PyTorch user
writes to serve many streams. Prints one JSON line: {"tokensPerSec", "gflops", "torch", "threads"} (median of
repeats after a warm-up). Weights are PyTorch's initial ones: speed does not depend on them.

  /usr/bin/python3 scripts/w6-torch.py --threads 2 --streams 64 --vocab 65 --time 3
"""
import argparse
import json
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--time", type=float, default=3.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    V, E, H = a.vocab, 64, 256
    emb = torch.nn.Embedding(V, E)
    lstm = torch.nn.LSTM(E, H, num_layers=2, batch_first=True)
    dec = torch.nn.Linear(H, V)

    def generate(n):
        tok = torch.zeros(a.streams, 1, dtype=torch.long)
        state = None
        with torch.no_grad():
            for _ in range(n):
                out, state = lstm(emb(tok), state)
                probs = torch.softmax(dec(out[:, 0]), dim=-1)
                tok = torch.multinomial(probs, 1)
        return a.streams * n

    generate(20)
    rates = []
    deadline = time.perf_counter() + a.time
    while time.perf_counter() < deadline or len(rates) < 3:
        t0 = time.perf_counter()
        tokens = generate(a.length)
        rates.append(tokens / (time.perf_counter() - t0))
    rate = statistics.median(rates)
    flops = 2 * H * V + 2 * 4 * H * (E + H) + 2 * 4 * H * (H + H)
    print(json.dumps({"tokensPerSec": rate, "gflops": rate * flops / 1e9, "torch": torch.__version__,
                      "threads": a.threads}))


if __name__ == "__main__":
    main()
