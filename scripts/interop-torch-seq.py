#!/usr/bin/env python3
"""PyTorch interop check of 'classify' / 'tag' models: charrnn's bidirectional (and unidirectional) classifiers and
taggers load one-to-one into torch.nn.Embedding + nn.RNN/LSTM/GRU(bidirectional=...) + nn.Linear named `decoder`
(`load_state_dict(strict=True)` on the file's tensors as they are), and PyTorch, fed the same padded batch through
pack_padded_sequence, gives the same logits. Exit 0 when every case agrees within --tolerance (default 1e-5, max
absolute difference of float32 logits) on every backend charrnn ran.

Usage:  python3 scripts/interop-torch-seq.py [--out DIR] [--tolerance T]

The charrnn side (models trained a few steps, a padded batch, its logits per backend) comes from
scripts/seq-torch-fixture.ts. Read-outs: 'last' = the top layer's h_n of each direction (forward at the true
length, reverse after reading back to step 0: what packed sequences give), 'mean' / 'max' over the true steps;
'tag' = the decoder at every true step. Needs PyTorch (Debian: python3-torch) and node with the dev dependencies.
Deliberately not part of the test suite: PyTorch is not a dependency of charrnn.
"""
import argparse
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def read_safetensors(path):
    """Tensors (float32 torch tensors) of a F32 safetensors file, standard library only."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = blob[8 + n :]
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(info["shape"]).clone()
    return out


class SeqModel(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        V, E, H, L = c["vocabSize"], c["embeddingSize"], c["hiddenSize"], c["layers"]
        assert all(h == H for h in c["hiddenSizes"]), "one width for all layers (torch.nn.RNN's constraint)"
        self.c = c
        if E > 0:
            self.embedding = torch.nn.Embedding(V, E)
        kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[c["cell"]]
        extra = {"nonlinearity": c["activation"]} if c["cell"] == "rnn" else {}
        self.rnn = kind(E if E > 0 else V, H, L, bidirectional=c["bidirectional"], **extra)
        self.decoder = torch.nn.Linear((2 if c["bidirectional"] else 1) * H, c["numClasses"])

    def forward(self, ids, lengths):  # ids [B, T], lengths [B]
        c = self.c
        x = self.embedding(ids) if c["embeddingSize"] > 0 else F.one_hot(ids, c["vocabSize"]).to(self.decoder.weight.dtype)
        x = x.transpose(0, 1)  # [T, B, In]
        T = x.shape[0]
        out, h = self.rnn(pack_padded_sequence(x, lengths, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=T)  # [T, B, D·H], zeros at padded steps
        if c["task"] == "tag":
            y = self.decoder(out).transpose(0, 1)  # [B, T, C]
            mask = (torch.arange(T)[None, :] < lengths[:, None]).unsqueeze(-1)
            return torch.where(mask, y, torch.zeros_like(y)).reshape(-1)
        if c["pooling"] == "last":
            h_n = h[0] if isinstance(h, tuple) else h  # [L·D, B, H]
            feat = torch.cat([h_n[-2], h_n[-1]], dim=1) if c["bidirectional"] else h_n[-1]
        elif c["pooling"] == "mean":
            feat = out.sum(0) / lengths[:, None].to(out.dtype)
        else:
            mask = (torch.arange(T)[:, None] < lengths[None, :]).unsqueeze(-1)
            feat = torch.where(mask, out, torch.full_like(out, -float("inf"))).max(0).values
        return self.decoder(feat).reshape(-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="fixture folder (default: a temporary one)")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="charrnn-seq-torch-")
    subprocess.run(["node", "--import", "tsx", os.path.join(HERE, "seq-torch-fixture.ts"), out], cwd=ROOT, check=True)
    torch.set_grad_enabled(False)
    worst = 0.0
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        fx = json.load(open(path))
        model = SeqModel(fx["config"])
        model.load_state_dict(read_safetensors(fx["model"]), strict=True)  # the file's names, one-to-one
        ids = torch.tensor(fx["ids"], dtype=torch.long).reshape(fx["B"], fx["T"])
        lengths = torch.tensor(fx["lengths"], dtype=torch.long)
        ours32 = model(ids, lengths)
        ours64 = model.double()(ids, lengths)
        for backend, logits in fx["logits"].items():
            got = torch.tensor(logits, dtype=torch.float64)
            d32 = (got - ours32.double()).abs().max().item()
            d64 = (got - ours64).abs().max().item()
            worst = max(worst, d32)
            name = os.path.basename(path)[:-5]
            print(f"{name:14s} {backend:6s} max |charrnn − torch| float32 {d32:.2e}  (torch float64: {d64:.2e})")
    ok = worst <= args.tolerance
    print(f"{'OK' if ok else 'FAIL'}: worst {worst:.2e} (tolerance {args.tolerance:g})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
