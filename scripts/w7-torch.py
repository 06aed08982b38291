#!/usr/bin/env python3
"""W7 with PyTorch: the peer of charrnn's W7 bench rows (scripts/bench-w7.ts runs it in the same run).

Reads the exact padded batches charrnn trains on (a JSON file written by scripts/bench-w7.ts: task, V, C, E, H and
a list of batches {B, T, ids (row-major, padded), lengths, labels}) and times the same training step on them:
Embedding V→E, torch.nn.LSTM(E, H, bidirectional=True) over pack_padded_sequence (so padding never reaches the
recurrence, in either direction), then
  classify: Linear(2H→C) on the final states of both directions (h_n of the forward and of the reverse direction),
  tag:      Linear(2H→C) on every step, cross-entropy with ignore_index=-1 on the padded steps;
mean cross-entropy, clip_grad_norm_(5), Adam lr 2e-3. Timing: the batches in turn after a warm-up; median milliseconds
per batch and chars/s = real (unpadded) characters trained / seconds over the timed window, as the charrnn rows.

Usage:  python3 scripts/w7-torch.py BATCHES.json [--threads N] [--time SECONDS] [--json]

Needs PyTorch (Debian: apt-get install python3-torch libopenblas0-pthread). Not part of the test suite.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Model(torch.nn.Module):
    def __init__(self, task, V, C, E, H):
        super().__init__()
        self.task = task
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, 1, batch_first=True, bidirectional=True)
        self.head = torch.nn.Linear(2 * H, C)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, _) = self.rnn(packed)
        if self.task == "classify":
            # h_n: [2, B, H] (forward direction's state after each row's last step, reverse direction's after step 0).
            return self.head(torch.cat([h_n[0], h_n[1]], dim=1))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return self.head(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("batches")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--time", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    with open(args.batches, encoding="utf-8") as f:
        spec = json.load(f)
    task, V, C, E, H = spec["task"], spec["V"], spec["C"], spec["E"], spec["H"]
    batches = []
    for b in spec["batches"]:
        B, T = b["B"], b["T"]
        ids = torch.tensor(b["ids"], dtype=torch.long).view(B, T)
        lengths = torch.tensor(b["lengths"], dtype=torch.long)
        labels = torch.tensor(b["labels"], dtype=torch.long)
        batches.append((ids, lengths, labels if task == "classify" else labels.view(B, T), int(lengths.sum())))
    model = Model(task, V, C, E, H)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def step(ids, lengths, labels):
        opt.zero_grad(set_to_none=True)
        logits = model(ids, lengths)
        loss = F.cross_entropy(logits.reshape(-1, C), labels.reshape(-1), ignore_index=-1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return float(loss)

    for ids, lengths, labels, _ in batches[:2]:  # warm-up, as the charrnn rows
        step(ids, lengths, labels)
    times, chars = [], []
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < args.time or len(times) < 3:
        ids, lengths, labels, n = batches[i % len(batches)]
        t0 = time.perf_counter()
        step(ids, lengths, labels)
        times.append(time.perf_counter() - t0)
        chars.append(n)
        i += 1
    # Batches differ in length, so chars/s is over the whole timed window (real characters / seconds), as the
    # charrnn rows count it; the median milliseconds per batch is reported beside it.
    cps = sum(chars) / sum(times)
    result = {
        "workload": f"W7 {task}",
        "backend": "pytorch",
        "threads": args.threads,
        "charsPerSec": cps,
        "medianMs": statistics.median(times) * 1000,
        "samples": len(times),
        "torch": torch.__version__,
    }
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
