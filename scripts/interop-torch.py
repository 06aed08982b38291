#!/usr/bin/env python3
"""PyTorch interop check: load a charrnn model or checkpoint into torch.nn.Embedding / RNN / LSTM / GRU /
Linear and compute the validation loss (nats/char over the whole validation split, one stream from a zero
state), then compare it with charrnn's own figure (scripts/checkpoint-val-loss.ts). Exit 0 when they agree
within --tolerance (default 1e-4).

Usage:  python3 scripts/interop-torch.py FILE [FILE ...] [--corpus PATH] [--val-fraction F] [--tolerance T]

Needs PyTorch (Debian: apt-get install python3-torch) and node with this repository's dev dependencies.
The safetensors file is parsed by examples/pytorch/charrnn_torch.py (standard library + torch); the
`safetensors` package is not needed. Deliberately not part of the test suite: PyTorch is not a dependency of charrnn.

Mapping (see the README's "Model file format"):
  embedding.weight            -> nn.Embedding(V, E).weight           (absent: one-hot input, In_0 = V)
  rnn.{weight,bias}_{ih,hh}_l{l} -> nn.RNN/LSTM/GRU(In_0, H, layers).<same name>   (one module per layer
                                    when the layers' widths differ)
  decoder.{weight,bias}       -> nn.Linear(H, V)
  format version 1 (vanilla): Wxh -> weight_ih_l0, Whh -> weight_hh_l0, bh -> bias_ih_l0 (bias_hh_l0 = 0),
                              Why -> decoder.weight, by -> decoder.bias
  (the library's own copy of this mapping, unit-tested: src/io/torch-names.ts; the Python one, used here, is
  examples/pytorch/charrnn_torch.py)
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "examples", "pytorch"))
import charrnn_torch as ct  # noqa: E402  (the mapping, the container reader and the evaluation)

torch = ct.torch


def validation_loss(path, corpus, fraction):
    """PyTorch's validation loss (float64, so the comparison measures the mapping, not rounding) and its count."""
    f = ct.load(path)
    with open(corpus, encoding="utf-8") as fh:
        _, val = ct.split(ct.encode(fh.read(), f.vocabulary), fraction)
    return ct.mean_loss(f.model().double(), val), len(val) - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--corpus", help="corpus file (default: the one the checkpoint records)")
    ap.add_argument("--val-fraction", type=float)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    ok = True
    for path in args.files:
        cmd = ["node", "--import", "tsx", os.path.join(HERE, "checkpoint-val-loss.ts"), os.path.abspath(path)]
        if args.corpus:
            cmd += ["--corpus", args.corpus]
        if args.val_fraction is not None:
            cmd += ["--val-fraction", str(args.val_fraction)]
        ours = json.loads(subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        theirs, count = validation_loss(path, ours["corpus"], ours["validationFraction"])
        diff = abs(theirs - ours["loss"])
        good = diff <= args.tolerance and count == ours["count"]
        ok &= good
        print(
            f"{'ok  ' if good else 'FAIL'} {path}: charrnn {ours['loss']:.8f} vs torch {theirs:.8f} nats/char "
            f"(|diff| {diff:.2e}, {count} predictions, torch {torch.__version__})"
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
