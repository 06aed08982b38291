#!/usr/bin/env python3
"""W5 with PyTorch on charrnn's exact pipeline, for a per-step comparison with `npm run quality:w3 -- --eval-steps`.

Same corpus split (the last floor(10%) of the characters for validation, the rest for training, vocabulary = the sorted characters), same batching (the
training ids cut into 32 contiguous streams, chunks of 64 steps, hidden state carried from chunk to chunk and
reset at each epoch start), same model (Embedding 65→64, 2-layer LSTM H 256, Linear 256→65; PyTorch's default
init, as `npm run quality:w3` uses by default; --forget-bias B sets each layer's forget-gate bias_ih slice to B and
bias_hh's to 0, as charrnn's --forget-bias does), same optimizer
(Adam lr 2e-3, mean cross-entropy, clip_grad_norm_ 5), same validation (whole split, one stream, state carried).
Prints the validation loss at the given steps and the training speed (validation excluded from the clock).

Usage:  python3 scripts/quality-torch.py [--eval-steps 250,500,1000,1500] [--threads N] [--seed S] [--forget-bias B]
                                         [--corpus PATH]

Needs PyTorch (Debian: apt-get install python3-torch). Not part of the test suite: PyTorch is not a dependency.
"""
import argparse
import os
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-steps", default="250,500,1000,1500")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--forget-bias", type=float, default=None)
    ap.add_argument("--corpus", default=os.path.join(os.environ.get("CHARRNN_DATA_DIR", "../shared/data"),
                                                     "tinyshakespeare.txt"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    evals = sorted(int(s) for s in args.eval_steps.split(","))

    with open(args.corpus, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_train = len(data) - int(len(data) * 0.1)  # as Corpus: floor(n × 0.1) validation tokens at the end
    train, val = data[:n_train], data[n_train:]
    V, E, H, B, T = len(chars), 64, 256, 32, 64

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(V, E)
            self.rnn = torch.nn.LSTM(E, H, 2)
            self.decoder = torch.nn.Linear(H, V)

        def forward(self, x, state):
            out, state = self.rnn(self.embedding(x), state)
            return self.decoder(out), state

    model = Model()
    if args.forget_bias is not None:
        with torch.no_grad():
            for l in range(2):
                getattr(model.rnn, f"bias_ih_l{l}")[H : 2 * H] = args.forget_bias
                getattr(model.rnn, f"bias_hh_l{l}")[H : 2 * H] = 0.0
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    stream_len = len(train) // B
    chunks_per_epoch = (stream_len - 1) // T
    streams = train[: stream_len * B].view(B, stream_len).t()  # [stream_len, B], time-major

    def validate():
        model.eval()
        with torch.no_grad():
            state, total, count = None, 0.0, 0
            for s in range(0, len(val) - 1, 4096):
                x = val[s : min(s + 4096, len(val) - 1)].view(-1, 1)
                y = val[s + 1 : s + 1 + len(x)]
                logits, state = model(x, state)
                total += F.cross_entropy(logits.view(-1, V), y, reduction="sum").item()
                count += len(y)
        model.train()
        return total / count

    print(f"W5 on PyTorch {torch.__version__} ({args.threads} thread(s)): {len(train)} train / {len(val)} validation "
          f"chars, {chunks_per_epoch} chunks per epoch", flush=True)
    state, step, trained = None, 0, 0.0
    while step < evals[-1]:
        t0 = time.perf_counter()
        c = step % chunks_per_epoch
        if c == 0:
            state = None
        x = streams[c * T : c * T + T]
        y = streams[c * T + 1 : c * T + T + 1]
        if state is not None:
            state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.view(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        trained += time.perf_counter() - t0
        if step in evals:
            print(f"  step {step:5d}  val loss {validate():.4f} nats/char  train {trained / 60:.2f} min  "
                  f"{step * B * T / trained:,.0f} chars/s", flush=True)


if __name__ == "__main__":
    main()
