#!/usr/bin/env python3
"""W1 with numpy: Karpathy's min-char-rnn training loop, made as fast as numpy allows, as the peer of charrnn's W1
bench row (`npm run bench -- --workload W1 --peers numpy` runs it in the same run, alternating with the charrnn rows).

The same work as min-char-rnn and charrnn's W1: vanilla tanh RNN, one-hot input, hidden 100, B = 1, T = 25, loss
summed over the chunk, every gradient element clamped to [-5, 5], Adagrad (lr 0.1, eps 1e-8), the hidden state
carried from chunk to chunk (reset at the end of the training split), weights N(0, 0.01²) and zero biases, on the
first 90% of tinyshakespeare.txt (read from CHARRNN_DATA_DIR). What differs from min-char-rnn's own loop is only how
the same arithmetic is laid out for numpy, where each call costs about a microsecond whatever its size:
  - only the recurrence runs per step (3 numpy calls forward: gemv, add, tanh; 3 backward: multiply, gemv, add),
    every other product runs once per chunk over all 25 steps (output layer, softmax, dWhy, dH, dWhh, dWxh as
    dAᵀ·onehot, the (1 - h²) factors);
  - parameters, gradients and Adagrad memory are single flat arrays with the five matrices as views, so clipping
    and the update are a handful of calls over all ~23k elements;
  - every buffer is allocated once (out= everywhere), per-step row views are made once.
dtype: float64 by default (min-char-rnn's); --dtype float32 runs the same loop in float32. At these sizes the time
is numpy's per-call overhead, not arithmetic, so the two are within a few percent; the faster one on this machine is
the default (see docs/benchmarks.md).

Timing as the charrnn rows (src/bench/runner.ts): one call = one chunk; a warm-up of min(1 s, 0.3 × --time), then
chunks are timed one by one for --time seconds; chars/s = 25 / median seconds per chunk.

Usage:  python3 scripts/w1-numpy.py [--time SECONDS] [--dtype float64|float32] [--json]
        python3 scripts/w1-numpy.py --check CHUNKS     (loss sanity: mean loss per chunk over windows of 1000 chunks)

Needs numpy (Debian: python3-numpy). OpenBLAS is pinned to one thread (W1 is one stream; charrnn's W1 row runs on
one thread too) unless OPENBLAS_NUM_THREADS is set. Not part of the test suite.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

H, T, LR, CLIP, EPS = 100, 25, 0.1, 5.0, 1e-8


def load_train_ids():
    """Token ids of the first 90% of tinyshakespeare.txt (charrnn's split: floor(n·0.1) validation tokens)."""
    root = os.environ.get("CHARRNN_DATA_DIR")
    if not root:
        sys.exit("w1-numpy: set CHARRNN_DATA_DIR to the folder holding tinyshakespeare.txt")
    with open(os.path.join(root, "tinyshakespeare.txt"), encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.fromiter((index[c] for c in text), dtype=np.intp, count=len(text))
    n_val = int(len(ids) * 0.1)
    return ids[: len(ids) - n_val], len(chars)


class MinCharRNN:
    def __init__(self, V, dtype, seed=1):
        self.V = V
        rng = np.random.default_rng(seed)
        sizes = [("Wxh", (H, V)), ("Whh", (H, H)), ("Why", (V, H)), ("bh", (H,)), ("by", (V,))]
        P = sum(int(np.prod(s)) for _, s in sizes)
        self.params = np.zeros(P, dtype)
        self.grads = np.zeros(P, dtype)
        self.mem = np.zeros(P, dtype)  # Adagrad's sum of squares
        self.tmp = np.zeros(P, dtype)
        # np.minimum/np.maximum against full arrays run numpy's SIMD loops; np.clip with scalars is 5-8x slower.
        self.lo = np.full(P, -CLIP, dtype)
        self.hi = np.full(P, CLIP, dtype)
        o = 0
        self.p, self.g = {}, {}
        for name, shape in sizes:
            n = int(np.prod(shape))
            self.p[name] = self.params[o : o + n].reshape(shape)
            self.g[name] = self.grads[o : o + n].reshape(shape)
            if name.startswith("W"):
                self.p[name][...] = rng.standard_normal(shape) * 0.01
            o += n
        # Per-chunk buffers, allocated once.
        self.hs = np.zeros((T + 1, H), dtype)  # hs[0] = carried state, hs[t + 1] = h_t
        self.xin = np.zeros((T, H), dtype)  # Wxh[:, x_t] + bh
        self.z = np.zeros(H, dtype)
        self.Y = np.zeros((T, V), dtype)  # logits → probabilities → dY
        self.rowmax = np.zeros((T, 1), dtype)
        self.dH = np.zeros((T, H), dtype)  # dL/dh_t from the output layer, then + the recurrence
        self.G = np.zeros((T, H), dtype)  # 1 - h_t²
        self.dA = np.zeros((T, H), dtype)  # dL/d(pre-activation)
        self.tmpH = np.zeros(H, dtype)
        self.onehot = np.zeros((T, V), dtype)
        self.steps = np.arange(T)
        self.hv = [self.hs[t] for t in range(T + 1)]
        self.xv = [self.xin[t] for t in range(T)]
        self.dHv = [self.dH[t] for t in range(T)]
        self.Gv = [self.G[t] for t in range(T)]
        self.dAv = [self.dA[t] for t in range(T)]

    def reset(self):
        self.hs[0] = 0

    def train_chunk(self, inputs, targets):
        """One chunk: forward, BPTT, clip, Adagrad; returns the summed loss (nats)."""
        p, g = self.p, self.g
        Whh, Why = p["Whh"], p["Why"]
        hv, xv, z = self.hv, self.xv, self.z
        dot, add, mul, tanh = np.dot, np.add, np.multiply, np.tanh
        # ---- forward: the recurrence step by step ----
        self.xin[...] = p["Wxh"][:, inputs].T
        self.xin += p["bh"]
        for t in range(T):
            dot(Whh, hv[t], out=z)
            add(z, xv[t], out=z)
            tanh(z, out=hv[t + 1])
        hs1 = self.hs[1:]
        # ---- output layer and softmax over the whole chunk ----
        Y = self.Y
        dot(hs1, Why.T, out=Y)
        Y += p["by"]
        np.max(Y, axis=1, keepdims=True, out=self.rowmax)
        Y -= self.rowmax
        np.exp(Y, out=Y)
        np.sum(Y, axis=1, keepdims=True, out=self.rowmax)
        Y /= self.rowmax
        picked = Y[self.steps, targets]
        loss = -float(np.log(picked).sum())
        Y[self.steps, targets] = picked - 1  # dY
        dot(Y.T, hs1, out=g["Why"])
        np.sum(Y, axis=0, out=g["by"])
        dot(Y, Why, out=self.dH)
        # ---- BPTT ----
        mul(hs1, hs1, out=self.G)
        np.subtract(1, self.G, out=self.G)
        dHv, Gv, dAv, tmpH = self.dHv, self.Gv, self.dAv, self.tmpH
        for t in range(T - 1, 0, -1):
            mul(dHv[t], Gv[t], out=dAv[t])
            dot(dAv[t], Whh, out=tmpH)
            add(dHv[t - 1], tmpH, out=dHv[t - 1])
        mul(dHv[0], Gv[0], out=dAv[0])
        dot(self.dA.T, self.hs[:-1], out=g["Whh"])
        np.sum(self.dA, axis=0, out=g["bh"])
        oh = self.onehot
        oh[...] = 0
        oh[self.steps, inputs] = 1
        dot(self.dA.T, oh, out=g["Wxh"])
        self.hs[0] = self.hs[T]  # carry h_T
        # ---- clip every element to [-5, 5]; Adagrad over the flat arrays ----
        grads, tmp = self.grads, self.tmp
        np.minimum(grads, self.hi, out=grads)
        np.maximum(grads, self.lo, out=grads)
        mul(grads, grads, out=tmp)
        self.mem += tmp
        add(self.mem, EPS, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(grads, tmp, out=tmp)
        tmp *= LR
        self.params -= tmp
        return loss


class Chunks:
    """min-char-rnn's (and charrnn's Batcher with B = 1) walk over the split: T inputs, the next T as targets."""

    def __init__(self, ids):
        self.ids = ids
        self.count = (len(ids) - 1) // T
        self.i = 0

    def next(self):
        """(inputs, targets, wrapped): wrapped = this chunk starts a new pass (reset the hidden state)."""
        wrapped = self.i == 0
        b = self.i * T
        self.i = (self.i + 1) % self.count
        return self.ids[b : b + T], self.ids[b + 1 : b + T + 1], wrapped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--time", type=float, default=3.0)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--check", type=int, default=0, help="train this many chunks and print the loss curve")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    ids, V = load_train_ids()
    model = MinCharRNN(V, np.dtype(args.dtype), args.seed)
    chunks = Chunks(ids)

    def step():
        inputs, targets, wrapped = chunks.next()
        if wrapped:
            model.reset()
        return model.train_chunk(inputs, targets)

    if args.check > 0:
        window, total = 1000, 0.0
        for i in range(1, args.check + 1):
            total += step()
            if i % window == 0:
                print(json.dumps({"chunks": i, "meanLossPerChunk": round(total / window, 3)}))
                total = 0.0
        return
    warm_end = time.perf_counter() + min(1.0, 0.3 * args.time)
    warm = 0
    while time.perf_counter() < warm_end or warm < 2:
        step()
        warm += 1
    times = []
    clock = time.perf_counter
    start = clock()
    while clock() - start < args.time or len(times) < 5:
        t0 = clock()
        step()
        times.append(clock() - t0)
    median = statistics.median(times)
    result = {
        "workload": "W1",
        "backend": "numpy",
        "threads": 1,
        "charsPerSec": T / median,
        "medianMs": median * 1000,
        "samples": len(times),
        "dtype": args.dtype,
        "numpy": np.__version__,
    }
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
