#!/usr/bin/env python3
"""PyTorch interop check: load a charrnn model or checkpoint into torch.nn.Embedding / RNN / LSTM / GRU /
Linear and compute the validation loss (nats/char over the whole validation split, one stream from a zero
state), then compare it with charrnn's own figure (scripts/checkpoint-val-loss.ts). Exit 0 when they agree
within --tolerance (default 1e-4).

Usage:  python3 scripts/interop-torch.py FILE [FILE ...] [--corpus PATH] [--val-fraction F] [--tolerance T]

Needs PyTorch (Debian: apt-get install python3-torch) and node with this repository's dev dependencies.
The safetensors file is parsed with the standard library (struct + json); the `safetensors` package is
not needed. Deliberately not part of the test suite: PyTorch is not a dependency of charrnn.

Mapping (see the README's "Model file format"):
  embedding.weight            -> nn.Embedding(V, E).weight           (absent: one-hot input, In_0 = V)
  rnn.{weight,bias}_{ih,hh}_l{l} -> nn.RNN/LSTM/GRU(In_0, H, layers).<same name>   (one module per layer
                                    when the layers' widths differ)
  decoder.{weight,bias}       -> nn.Linear(H, V)
  format version 1 (vanilla): Wxh -> weight_ih_l0, Whh -> weight_hh_l0, bh -> bias_ih_l0 (bias_hh_l0 = 0),
                              Why -> decoder.weight, by -> decoder.bias
  (the library's own copy of this mapping, unit-tested: src/io/torch-names.ts)
"""
import argparse
import json
import os
import struct
import subprocess
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def read_safetensors(path):
    """Tensors (float64 torch tensors) and __metadata__ of a F32 safetensors file, standard library only."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32) if end > begin else torch.zeros(0)
        tensors[name] = t.reshape(info["shape"]).double()
    return tensors, metadata


def build_modules(tensors, config):
    """The torch modules of a charrnn model (float64, so the comparison measures the mapping, not rounding)."""
    cell, V, layers = config["cell"], config["vocabSize"], config["layers"]
    sizes, E = config["hiddenSizes"], config["embeddingSize"]
    if "Wxh" in tensors:  # format version 1: the vanilla model in the seeds' names
        tensors = {
            "rnn.weight_ih_l0": tensors["Wxh"],
            "rnn.weight_hh_l0": tensors["Whh"],
            "rnn.bias_ih_l0": tensors["bh"],
            "rnn.bias_hh_l0": torch.zeros_like(tensors["bh"]),
            "decoder.weight": tensors["Why"],
            "decoder.bias": tensors["by"],
        }
    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    extra = {"nonlinearity": config.get("activation", "tanh")} if cell == "rnn" else {}
    embedding = None
    if E > 0:
        embedding = torch.nn.Embedding(V, E).double()
        embedding.weight.data.copy_(tensors["embedding.weight"])
    # One module for all layers when they share a width (as PyTorch stacks them), else one per layer.
    groups = [(0, layers)] if len(set(sizes)) == 1 else [(l, l + 1) for l in range(layers)]
    rnns = []
    for first, last in groups:
        in_size = (E if E > 0 else V) if first == 0 else sizes[first - 1]
        m = kind(in_size, sizes[first], num_layers=last - first, **extra).double()
        for l in range(first, last):
            for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(m, f"{p}_l{l - first}").data.copy_(tensors[f"rnn.{p}_l{l}"])
        rnns.append(m.eval())  # eval: no dropout
    decoder = torch.nn.Linear(sizes[-1], V).double()
    decoder.weight.data.copy_(tensors["decoder.weight"])
    decoder.bias.data.copy_(tensors["decoder.bias"])
    return embedding, rnns, decoder


@torch.no_grad()
def validation_loss(path, corpus, fraction):
    tensors, metadata = read_safetensors(path)
    config = json.loads(metadata["config"])
    vocab = json.loads(metadata["vocabulary"])["tokens"]
    index = {t: i for i, t in enumerate(vocab)}
    with open(corpus, encoding="utf-8") as f:
        text = f.read()
    n_val = int(len(text) * fraction)  # code points, as charrnn's Corpus
    ids = torch.tensor([index[c] for c in text[len(text) - n_val :]], dtype=torch.long)
    embedding, rnns, decoder = build_modules(tensors, config)
    x = ids[:-1].unsqueeze(1)  # [T, B=1]
    h = embedding(x) if embedding is not None else F.one_hot(x, config["vocabSize"]).double()
    for m in rnns:
        h, _ = m(h)  # zero initial state
    logits = decoder(h.squeeze(1))
    return F.cross_entropy(logits, ids[1:]).item(), len(ids) - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--corpus", help="corpus file (default: the one the checkpoint records)")
    ap.add_argument("--val-fraction", type=float)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    ok = True
    for path in args.files:
        cmd = ["node", "--import", "tsx", os.path.join(HERE, "checkpoint-val-loss.ts"), path]
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
