#!/usr/bin/env python3
"""charrnn <-> PyTorch: load a charrnn model or checkpoint (.safetensors) into torch.nn modules and a torch.optim
optimizer, and write one back that charrnn loads (a model for `charrnn sample` / `score`, or a checkpoint that
`charrnn train --resume` continues). Also charrnn's corpus split and batching scheme, so a PyTorch run trains on the
exact chunks charrnn would (see train_ddp.py). Deliberately only the standard library and torch: the safetensors
container (8-byte little-endian header length, JSON header, little-endian float32 data) is read and written here,
not with the `safetensors` package; no training loop (train_ddp.py has one), no word tokenizer (word models load and
save, but only character corpora are batched here).

The mapping (docs/file-format.md; the library's own copy is src/io/torch-names.ts):
  embedding.weight               -> nn.Embedding(V, E).weight       (absent: one-hot input, In_0 = V)
  rnn.{weight,bias}_{ih,hh}_l{l} -> nn.RNN / LSTM / GRU(In_0, H, layers).<same name> (one module per layer
                                    when the layers' widths differ)
  decoder.{weight,bias}          -> nn.Linear(H, V)
  dropout p                      -> the recurrent module's dropout between layers plus nn.Dropout(p) on the top
                                    layer's output (charrnn drops every layer's output)
  format version 1 (vanilla):    Wxh -> weight_ih_l0, Whh -> weight_hh_l0, bh -> bias_ih_l0 (bias_hh_l0 is held
                                 at 0 and frozen, so the single bias trains as charrnn's does), Why -> decoder.weight,
                                 by -> decoder.bias
  optim.<slot>.<name>            -> torch.optim state: Adam exp_avg / exp_avg_sq (+ step = iteration), RMSprop
                                    square_avg, SGD momentum_buffer, Adagrad sum (charrnn's min-char-rnn form,
                                    CharrnnAdagrad below)
  state.h_l{l}, state.c_l{l}     -> the carried state [B, H_l] of the B training streams, per layer

Run as a program it scores a text the way `charrnn score` does (first character as context, one stream from a
zero state, float64), or compares two files tensor by tensor:
    python3 examples/pytorch/charrnn_torch.py score MODEL TEXT
    python3 examples/pytorch/charrnn_torch.py diff A.safetensors B.safetensors
"""
import argparse
import json
import math
import os
import struct
import sys
import tempfile

import torch
import torch.nn.functional as F

FORMAT = "charrnn"
CONFIG_KEYS = ("cell", "vocabSize", "hiddenSize", "hiddenSizes", "layers", "embeddingSize", "dropout", "activation")
VANILLA_NAMES = ("Wxh", "Whh", "bh", "Why", "by")
OPTIMIZER_SLOTS = {"adam": ("exp_avg", "exp_avg_sq"), "rmsprop": ("square_avg",), "adagrad": ("sum",)}
LOSS_HISTORY_POINTS = 256


class CharrnnFileError(ValueError):
    """A file, config or vocabulary that charrnn would refuse (the message names what is wrong)."""


# ---------------------------------------------------------------------------------------------------------------
# The safetensors container (F32 only, as charrnn writes and reads it)


def read_safetensors(path):
    """(tensors, metadata): float32 torch tensors by name, in the header's order, and the __metadata__ strings."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise CharrnnFileError(f"{path}: {len(blob)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise CharrnnFileError(f"{path}: header length {n} exceeds the file ({len(blob)} bytes)")
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + n :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise CharrnnFileError(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32) if end > begin else torch.zeros(0)
        if sys.byteorder != "little":
            t = t.view(torch.int32).byteswap().view(torch.float32)  # pragma: no cover (big-endian hosts)
        tensors[name] = t.reshape(info["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Write float32 tensors and string metadata atomically (temporary file beside `path`, fsync, rename)."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    chunks, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().to("cpu", torch.float32).contiguous()
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"Refusing to write {path}: tensor {name} is not finite")
        raw = t.numpy().astype("<f4", copy=False).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format's space padding, so the data starts 8-byte aligned
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text)
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------------------------
# Configs and vocabularies


def resolve_config(config):
    """A complete charrnn config (every key charrnn writes) from a partial one: cell, vocabSize and hiddenSize or
    hiddenSizes are required; layers, embeddingSize (0 = one-hot), dropout (0) and activation ('tanh') default."""
    unknown = set(config) - set(CONFIG_KEYS)
    if unknown:
        raise CharrnnFileError(f"config has unknown key(s) {sorted(unknown)} (a config holds {', '.join(CONFIG_KEYS)})")
    sizes = list(config.get("hiddenSizes") or [config["hiddenSize"]] * int(config.get("layers", 1)))
    out = {
        "cell": config.get("cell", "rnn"),
        "vocabSize": int(config["vocabSize"]),
        "hiddenSize": sizes[-1],
        "hiddenSizes": sizes,
        "layers": len(sizes),
        "embeddingSize": int(config.get("embeddingSize", 0)),
        "dropout": float(config.get("dropout", 0)),
        "activation": config.get("activation", "tanh"),
    }
    if out["cell"] not in ("rnn", "lstm", "gru"):
        raise CharrnnFileError(f"config.cell is {out['cell']!r}, expected 'rnn', 'lstm' or 'gru'")
    if out["activation"] not in ("tanh", "relu") or (out["activation"] == "relu" and out["cell"] != "rnn"):
        raise CharrnnFileError(f"config.activation {out['activation']!r} is not allowed for cell {out['cell']!r}")
    if "layers" in config and int(config["layers"]) != len(sizes):
        raise CharrnnFileError(f"config.layers is {config['layers']} but hiddenSizes has {len(sizes)} entries")
    if not 0 <= out["dropout"] < 1:
        raise CharrnnFileError(f"config.dropout is {out['dropout']}, expected a number in [0, 1)")
    return out


def is_vanilla(config):
    """The vanilla model (one tanh RNN layer, one-hot input, no dropout) uses min-char-rnn's names (version 1)."""
    c = config
    return c["cell"] == "rnn" and c["layers"] == 1 and c["embeddingSize"] == 0 and c["dropout"] == 0 and (
        c["activation"] == "tanh"
    )


def canonical_order(vocabulary):
    """(tokens in the order charrnn requires, perm) with canonical[i] = tokens[perm[i]]. Characters: sorted by code
    point; words: "<unk>" then "\\n" first, the rest in the given order."""
    kind, tokens = vocabulary.get("kind", "char"), list(vocabulary["tokens"])
    if len(set(tokens)) != len(tokens):
        raise CharrnnFileError("the vocabulary has duplicate tokens")
    if kind == "char":
        bad = [t for t in tokens if len(t) != 1]
        if bad:
            raise CharrnnFileError(f"a character vocabulary holds single code points only, not {bad[0]!r}")
        perm = sorted(range(len(tokens)), key=lambda i: ord(tokens[i]))
    elif kind == "word":
        for t in ("<unk>", "\n"):
            if t not in tokens:
                raise CharrnnFileError(f"a word vocabulary must hold {t!r}")
        first = [tokens.index("<unk>"), tokens.index("\n")]
        perm = first + [i for i in range(len(tokens)) if i not in first]
    else:
        raise CharrnnFileError(f"vocabulary kind {kind!r}, expected 'char' or 'word'")
    return [tokens[i] for i in perm], perm


def permute_rows(name, t, perm, config):
    """Tensor `name` (charrnn's name) with its vocabulary axis reordered by `perm` (a no-op for the others)."""
    p = torch.as_tensor(perm, dtype=torch.long, device=t.device)
    if name in ("embedding.weight", "decoder.weight", "decoder.bias", "Why", "by"):
        return t.index_select(0, p)
    if name == "Wxh" or (name == "rnn.weight_ih_l0" and config["embeddingSize"] == 0):
        return t.index_select(1, p)  # one-hot input: a column per token
    return t


# ---------------------------------------------------------------------------------------------------------------
# The model


class CharRNN(torch.nn.Module):
    """charrnn's model as torch.nn modules: [Embedding | one-hot] -> RNN/LSTM/GRU layers -> [Dropout] -> Linear.

    forward(ids [T, B] long, state) -> (logits [T, B, V], state); state is None (zeros) or a list with one entry per
    layer: (h,) or, for an LSTM, (h, c), each [B, H_l]."""

    def __init__(self, config):
        super().__init__()
        self.config = c = resolve_config(config)
        V, E, sizes = c["vocabSize"], c["embeddingSize"], c["hiddenSizes"]
        self.embedding = torch.nn.Embedding(V, E) if E > 0 else None
        kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[c["cell"]]
        extra = {"nonlinearity": c["activation"]} if c["cell"] == "rnn" else {}
        # One module for all layers when they share a width (as PyTorch stacks them), else one per layer.
        self.groups = [(0, c["layers"])] if len(set(sizes)) == 1 else [(l, l + 1) for l in range(c["layers"])]
        modules = []
        for first, last in self.groups:
            in_size = (E if E > 0 else V) if first == 0 else sizes[first - 1]
            p = c["dropout"] if last - first > 1 else 0.0
            modules.append(kind(in_size, sizes[first], num_layers=last - first, dropout=p, **extra))
        self.rnns = torch.nn.ModuleList(modules)
        self.drop = torch.nn.Dropout(c["dropout"])
        self.decoder = torch.nn.Linear(sizes[-1], V)
        if is_vanilla(c):  # the seeds' single bias bh: bias_hh_l0 stays 0
            self.rnns[0].bias_hh_l0.data.zero_()
            self.rnns[0].bias_hh_l0.requires_grad_(False)

    def named_charrnn(self):
        """[(charrnn name, parameter)] for every trained tensor, in charrnn's layout order."""
        out = [("embedding.weight", self.embedding.weight)] if self.embedding is not None else []
        for m, (first, last) in zip(self.rnns, self.groups):
            for l in range(first, last):
                for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    out.append((f"rnn.{p}_l{l}", getattr(m, f"{p}_l{l - first}")))
        out += [("decoder.weight", self.decoder.weight), ("decoder.bias", self.decoder.bias)]
        if is_vanilla(self.config):
            d = dict(out)
            rename = {"Wxh": "rnn.weight_ih_l0", "Whh": "rnn.weight_hh_l0", "bh": "rnn.bias_ih_l0"}
            rename.update({"Why": "decoder.weight", "by": "decoder.bias"})
            out = [(n, d[rename[n]]) for n in VANILLA_NAMES]
        return out

    def charrnn_tensors(self):
        """{charrnn name: tensor} as a file holds them (the vanilla bh = bias_ih_l0 + bias_hh_l0)."""
        out = {n: p.detach() for n, p in self.named_charrnn()}
        if is_vanilla(self.config):
            out["bh"] = out["bh"] + self.rnns[0].bias_hh_l0.detach()
        return out

    @torch.no_grad()
    def load_charrnn(self, tensors):
        """Copy a file's tensors (charrnn names) into the modules; shapes are checked."""
        named = self.named_charrnn()
        missing = [n for n, _ in named if n not in tensors]
        extra = set(tensors) - {n for n, _ in named}
        if missing or extra:
            raise CharrnnFileError(f"tensors do not match the config: missing {missing}, unexpected {sorted(extra)}")
        for n, p in named:
            if tuple(tensors[n].shape) != tuple(p.shape):
                raise CharrnnFileError(f"tensor {n} has shape {list(tensors[n].shape)}, expected {list(p.shape)}")
            p.copy_(tensors[n])
        return self

    def zero_state(self, batch, device=None, dtype=None):
        ref = self.decoder.weight
        device, dtype = device or ref.device, dtype or ref.dtype
        n = 2 if self.config["cell"] == "lstm" else 1
        sizes = self.config["hiddenSizes"]
        return [tuple(torch.zeros(batch, h, device=device, dtype=dtype) for _ in range(n)) for h in sizes]

    def forward(self, ids, state=None):
        c = self.config
        if self.embedding is not None:
            x = self.embedding(ids)
        else:
            x = F.one_hot(ids, c["vocabSize"]).to(self.decoder.weight.dtype)
        if state is None:
            state = self.zero_state(ids.shape[1], ids.device, x.dtype)
        new_state = []
        for m, (first, last) in zip(self.rnns, self.groups):
            layers = state[first:last]
            if c["cell"] == "lstm":
                h0 = (torch.stack([s[0] for s in layers]), torch.stack([s[1] for s in layers]))
                x, (hn, cn) = m(x, h0)
                new_state += [(hn[i], cn[i]) for i in range(last - first)]
            else:
                x, hn = m(x, torch.stack([s[0] for s in layers]))
                new_state += [(hn[i],) for i in range(last - first)]
            x = self.drop(x)  # every layer's output: a stacked module drops between its own layers itself
        return self.decoder(x), new_state


def state_from_file(hidden, config):
    """The model's state list from a checkpoint's state.h_l / state.c_l tensors."""
    lstm = config["cell"] == "lstm"
    return [
        (hidden[f"state.h_l{l}"], hidden[f"state.c_l{l}"]) if lstm else (hidden[f"state.h_l{l}"],)
        for l in range(config["layers"])
    ]


def state_to_file(state):
    """A state list as the checkpoint's tensors: state.h_l<l> [B, H_l], then state.c_l<l> for an LSTM."""
    out = {f"state.h_l{l}": s[0] for l, s in enumerate(state)}
    out.update({f"state.c_l{l}": s[1] for l, s in enumerate(state) if len(s) > 1})
    return out


# ---------------------------------------------------------------------------------------------------------------
# Optimizers: charrnn's update equations in torch.optim form


class CharrnnAdagrad(torch.optim.Optimizer):
    """charrnn's (min-char-rnn's) Adagrad: sum += g^2; p -= lr * g / sqrt(sum + eps). torch.optim.Adagrad divides
    by sqrt(sum) + eps instead, so it is not the same update. State slot 'sum', as PyTorch names it."""

    def __init__(self, params, lr, eps):
        super().__init__(params, {"lr": lr, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p].setdefault("sum", torch.zeros_like(p))
                s.addcmul_(p.grad, p.grad)
                p.addcdiv_(p.grad, (s + group["eps"]).sqrt_(), value=-group["lr"])


def optimizer_slots(hyper):
    """PyTorch's names of the optimizer's state slots, as a checkpoint's optim.<slot>.<name> tensors use them."""
    if hyper["kind"] == "sgd":
        return ("momentum_buffer",) if hyper["momentum"] > 0 else ()
    return OPTIMIZER_SLOTS[hyper["kind"]]


def make_optimizer(model, hyper, iteration=0, moments=None):
    """The torch.optim optimizer that performs charrnn's update for `hyper` (training_state.optimizer), its state
    loaded from `moments` ({"optim.<slot>.<name>": tensor}, as read from a checkpoint) and Adam's step count set to
    `iteration`. Weight decay is charrnn's decoupled form: call decay_weights() before each step()."""
    named = model.named_charrnn()
    params = [p for _, p in named]
    kind, lr = hyper["kind"], hyper["lr"]
    if kind == "adam":
        opt = torch.optim.Adam(params, lr=lr, betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["eps"])
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=lr, alpha=hyper["beta2"], eps=hyper["eps"])
    elif kind == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=hyper["momentum"])
    elif kind == "adagrad":
        opt = CharrnnAdagrad(params, lr=lr, eps=hyper["eps"])
    else:
        raise CharrnnFileError(f"optimizer kind {kind!r} is not one of adam, rmsprop, sgd, adagrad")
    slots = optimizer_slots(hyper)
    for name, p in named:
        st = {}
        for slot in slots:
            t = moments.get(f"optim.{slot}.{name}") if moments else None
            st[slot] = t.to(p.device, p.dtype).clone() if t is not None else torch.zeros_like(p)
        if kind in ("adam", "rmsprop"):
            st["step"] = torch.tensor(float(iteration))
        if st:
            opt.state[p] = st
    return opt


def optimizer_moments(model, opt, hyper):
    """{"optim.<slot>.<name>": tensor} of the optimizer's state, as a checkpoint holds it."""
    out = {}
    for slot in optimizer_slots(hyper):
        for name, p in model.named_charrnn():
            t = opt.state.get(p, {}).get(slot)
            out[f"optim.{slot}.{name}"] = (t if t is not None else torch.zeros_like(p)).detach()
    return out


@torch.no_grad()
def decay_weights(params, lr, weight_decay):
    """charrnn's decoupled weight decay (AdamW's form for every optimizer): p *= 1 - lr * wd, before the update."""
    if weight_decay > 0:
        for p in params:
            p.mul_(1 - lr * weight_decay)


@torch.no_grad()
def clip_gradients(params, clip_value, clip_norm):
    """charrnn's clipping: clamp each element to [-clip_value, clip_value], then scale the whole gradient by
    clip_norm / (norm + 1e-6) when its norm exceeds clip_norm (0 = off). Returns the norm before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, dtype=torch.float64) for g in grads]))
    if clip_value > 0:
        for g in grads:
            g.clamp_(-clip_value, clip_value)
    if clip_norm > 0:
        n = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, dtype=torch.float64) for g in grads]))
        if n > clip_norm:
            for g in grads:
                g.mul_(clip_norm / (n.item() + 1e-6))
    return norm.item()


def lr_at(schedule, sched_state, iteration):
    """The lr of the update after `iteration` completed ones (charrnn's lrAt): baseLr * decay(iteration) * scale."""
    decay = 1.0
    if schedule["kind"] == "step":
        decay = schedule["gamma"] ** (iteration // schedule["every"])
    elif schedule["kind"] == "exp":
        decay = schedule["gamma"] ** (iteration / schedule["every"])
    lr = sched_state["baseLr"] * decay * sched_state["scale"]
    if schedule["kind"] == "plateau":
        lr = max(lr, schedule["minLr"])
    return max(lr, 5e-324)


def record_train_loss(history, iteration, loss):
    """charrnn's loss history (src/run/loss-history.ts, recordTrainLoss): the loss of the chunk that completed
    `iteration`, a point every `every` iterations, neighbours merged when the list passes 256 points."""
    history["sum"] += loss
    history["count"] += 1
    if iteration % history["every"] != 0:
        return
    history["train"].append([iteration, history["sum"] / history["count"]])
    history["sum"], history["count"] = 0.0, 0
    if len(history["train"]) > LOSS_HISTORY_POINTS:
        t = history["train"]
        history["train"] = [
            [t[i + 1][0], (t[i][1] + t[i + 1][1]) / 2] if i + 1 < len(t) else t[i] for i in range(0, len(t), 2)
        ]
        history["every"] *= 2


# ---------------------------------------------------------------------------------------------------------------
# Files


class CharrnnFile:
    """What a charrnn file holds: config, vocabulary ({"kind", "tokens"}), parameters ({charrnn name: tensor}),
    and for a checkpoint (format version 3) training_state, moments ({"optim.<slot>.<name>": tensor}),
    hidden ({"state.h_l<l>": [B, H_l], ...}), dropout_rng and loss_history (None when absent)."""

    def __init__(self, metadata, config, vocabulary, parameters, training_state, moments, hidden, loss_history):
        self.metadata, self.config, self.vocabulary = metadata, config, vocabulary
        self.parameters, self.training_state, self.moments = parameters, training_state, moments
        self.hidden, self.loss_history = hidden, loss_history

    @property
    def is_checkpoint(self):
        return self.training_state is not None

    def model(self):
        """A CharRNN (float32, CPU) holding the file's parameters."""
        return CharRNN(self.config).load_charrnn(self.parameters)

    def optimizer(self, model):
        """The checkpoint's optimizer with its moments, bound to `model`'s parameters (see make_optimizer)."""
        s = self.training_state
        return make_optimizer(model, s["optimizer"], s["iteration"], self.moments)


def load(path):
    """Read a charrnn model (format version 1 or 2) or checkpoint (version 3) into a CharrnnFile."""
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != FORMAT:
        raise CharrnnFileError(f"{path}: __metadata__.format is {metadata.get('format')!r}, expected 'charrnn'")
    version = metadata.get("format_version")
    if version not in ("1", "2", "3"):
        raise CharrnnFileError(f"{path}: unsupported format_version {version!r}")
    config = resolve_config(json.loads(metadata["config"]))
    vocabulary = json.loads(metadata["vocabulary"])
    vocabulary = {"kind": vocabulary.get("kind", "char"), "tokens": vocabulary["tokens"]}
    groups = {"optim.": {}, "state.": {}, "": {}}
    for name, t in tensors.items():
        groups["optim." if name.startswith("optim.") else "state." if name.startswith("state.") else ""][name] = t
    training = json.loads(metadata["training_state"]) if version == "3" else None
    history = json.loads(metadata["loss_history"]) if "loss_history" in metadata else None
    return CharrnnFile(metadata, config, vocabulary, groups[""], training, groups["optim."], groups["state."], history)


def _file_tensors(model, vocabulary, moments=None):
    """The parameter (and moment) tensors of `model`, rows permuted into charrnn's vocabulary order."""
    config = model.config
    if len(vocabulary["tokens"]) != config["vocabSize"]:
        raise CharrnnFileError(
            f"the vocabulary has {len(vocabulary['tokens'])} tokens but config.vocabSize is {config['vocabSize']}"
        )
    tokens, perm = canonical_order(vocabulary)
    out = {n: permute_rows(n, t, perm, config) for n, t in model.charrnn_tensors().items()}
    for key, t in (moments or {}).items():
        out[key] = permute_rows(key.split(".", 2)[2], t, perm, config)
    metadata = {
        "format": FORMAT,
        "config": json.dumps(config, separators=(",", ":")),
        "vocabulary": json.dumps({"kind": vocabulary.get("kind", "char"), "tokens": tokens}, ensure_ascii=False),
    }
    return out, metadata


def save_model(path, model, vocabulary, extra_metadata=None):
    """Write `model` as a charrnn model file (format version 1 for the vanilla model, else 2). `vocabulary` is
    {"kind": "char" | "word", "tokens": [...]}: the token of each embedding / decoder row, in any order (the rows
    are permuted into the order charrnn requires)."""
    tensors, metadata = _file_tensors(model, vocabulary)
    metadata["format_version"] = "1" if is_vanilla(model.config) else "2"
    write_safetensors(path, tensors, {**(extra_metadata or {}), **metadata})


def save_checkpoint(path, model, vocabulary, training_state, moments, state, dropout_rng, loss_history=None,
                    extra_metadata=None):
    """Write a charrnn checkpoint (format version 3) that `charrnn train --resume` continues: the model, the
    optimizer `moments` ({"optim.<slot>.<name>": tensor}, see optimizer_moments), the carried `state` of the B
    streams (the model's state list), training_state (JSON-able dict: iteration, epoch, position, ...; see
    docs/file-format.md) and dropout_rng (4 uint32 words). Rows are permuted as in save_model."""
    slots = optimizer_slots(training_state["optimizer"])
    want = {f"optim.{slot}.{n}" for slot in slots for n, _ in model.named_charrnn()}
    if set(moments) != want:
        raise CharrnnFileError(f"moments for optimizer {training_state['optimizer']['kind']!r}: missing "
                               f"{sorted(want - set(moments))}, unexpected {sorted(set(moments) - want)} (pass "
                               "optimizer_moments(model, opt, hyper); a fresh optimizer's are zeros)")
    batch = training_state["batchSize"]
    sizes = model.config["hiddenSizes"]
    if len(state) != len(sizes) or any(t.shape != (batch, h) for layer, h in zip(state, sizes) for t in layer):
        raise CharrnnFileError(f"the carried state must hold, per layer, [batchSize={batch}, H_l] tensors")
    tensors, metadata = _file_tensors(model, vocabulary, moments)
    tensors.update(state_to_file(state))
    metadata.update(format_version="3", training_state=json.dumps(training_state),
                    dropout_rng=json.dumps(list(dropout_rng)))
    if loss_history is not None:
        metadata["loss_history"] = json.dumps(loss_history)
    write_safetensors(path, tensors, {**(extra_metadata or {}), **metadata})


# ---------------------------------------------------------------------------------------------------------------
# Corpus, batching and evaluation, as charrnn does them


def resolve_corpus(ref):
    """charrnn's corpus reference: `shakespeare` -> $CHARRNN_DATA_DIR/tinyshakespeare.txt or the cache
    ($CHARRNN_CACHE_DIR, $XDG_CACHE_HOME/charrnn, ~/.cache/charrnn); anything else is a path."""
    if ref != "shakespeare":
        return ref
    places = []
    if os.environ.get("CHARRNN_DATA_DIR"):
        places.append(os.environ["CHARRNN_DATA_DIR"])
    if os.environ.get("CHARRNN_CACHE_DIR"):
        places.append(os.environ["CHARRNN_CACHE_DIR"])
    elif os.environ.get("XDG_CACHE_HOME"):
        places.append(os.path.join(os.environ["XDG_CACHE_HOME"], "charrnn"))
    else:
        places.append(os.path.join(os.path.expanduser("~"), ".cache", "charrnn"))
    for p in places:
        if os.path.isfile(os.path.join(p, "tinyshakespeare.txt")):
            return os.path.join(p, "tinyshakespeare.txt")
    raise FileNotFoundError(f"tinyshakespeare.txt is in none of {places}: pass --corpus FILE (or run charrnn once)")


def encode(text, vocabulary):
    """Token ids of a text under a character vocabulary (an unknown character is an error naming it)."""
    if vocabulary["kind"] != "char":
        raise CharrnnFileError("only character models can be batched here (word tokenization is charrnn's)")
    index = {t: i for i, t in enumerate(vocabulary["tokens"])}
    try:
        return torch.tensor([index[c] for c in text], dtype=torch.long)
    except KeyError as e:
        c = e.args[0]
        raise CharrnnFileError(f"the text holds {c!r} (U+{ord(c):04X}), which is not in the vocabulary") from None


def split(ids, validation_fraction):
    """charrnn's split: the last floor(n * fraction) tokens are the validation split, the rest the training split."""
    n_val = int(math.floor(len(ids) * validation_fraction))
    return ids[: len(ids) - n_val], ids[len(ids) - n_val :]


class Batcher:
    """charrnn's batching (src/text/batcher.ts): the training ids cut into B contiguous streams of
    floor(n / B) tokens; chunk c of an epoch is steps [c*T, c*T + T) of every stream (targets one step on);
    (floor(n / B) - 1) // T chunks per epoch; the carried state is reset when a chunk starts an epoch.
    `streams` selects the streams this process trains (a range of the B; all by default)."""

    def __init__(self, ids, batch, steps, epoch=0, position=0, streams=None):
        self.batch, self.steps, self.epoch, self.position = batch, steps, epoch, position
        self.stream_length = len(ids) // batch
        self.chunks_per_epoch = (self.stream_length - 1) // steps
        if self.chunks_per_epoch < 1:
            raise CharrnnFileError(f"a training split of {len(ids)} tokens is too short for B {batch} x T {steps}")
        if not 0 <= position < self.chunks_per_epoch:
            raise CharrnnFileError(f"position {position} is outside [0, {self.chunks_per_epoch - 1}]")
        streams = range(batch) if streams is None else streams
        self.table = ids[: self.stream_length * batch].view(batch, self.stream_length)[streams[0] : streams[-1] + 1].t()

    def next(self):
        """(inputs [T, b], targets [T, b], wrapped): the next chunk of this process's streams; wrapped is True when
        it starts an epoch (the caller resets the carried state)."""
        c, T = self.position, self.steps
        x, y = self.table[c * T : c * T + T], self.table[c * T + 1 : c * T + T + 1]
        self.position += 1
        if self.position >= self.chunks_per_epoch:
            self.position, self.epoch = 0, self.epoch + 1
        return x, y, c == 0


@torch.no_grad()
def mean_loss(model, ids, block=4096):
    """Mean cross-entropy (nats per token) of ids[1:] given ids[:-1]: one stream from a zero state, carried, in
    evaluation mode (no dropout), as charrnn's validation and `charrnn score` compute it."""
    was_training = model.training
    model.eval()
    state, total = None, 0.0
    for s in range(0, len(ids) - 1, block):
        x = ids[s : min(s + block, len(ids) - 1)]
        logits, state = model(x.view(-1, 1).to(model.decoder.weight.device), state)
        y = ids[s + 1 : s + 1 + len(x)].to(logits.device)
        total += F.cross_entropy(logits.view(len(x), -1), y, reduction="sum").item()
    model.train(was_training)
    return total / (len(ids) - 1)


def diff(a, b):
    """{name: max |a - b|} over the tensors two files share (parameters, moments, carried state), after putting
    both in charrnn's vocabulary order; plus the names only one of them holds."""
    fa, fb = load(a), load(b)
    if fa.vocabulary != fb.vocabulary:
        raise CharrnnFileError(f"{a} and {b} have different vocabularies")
    ta = {**fa.parameters, **fa.moments, **fa.hidden}
    tb = {**fb.parameters, **fb.moments, **fb.hidden}
    out = {n: (ta[n].double() - tb[n].double()).abs().max().item() for n in ta if n in tb and ta[n].numel() > 0}
    return out, sorted(set(ta) ^ set(tb))


def main():
    ap = argparse.ArgumentParser(description="charrnn files in PyTorch: score a text (float64, as `charrnn score`: "
                                 "the first character is the context), or compare two files tensor by tensor.")
    sub = ap.add_subparsers(dest="command", required=True)
    sc = sub.add_parser("score", help="mean nats per character of TEXT under MODEL")
    sc.add_argument("model")
    sc.add_argument("text")
    df = sub.add_parser("diff", help="largest |difference| of parameters, optimizer moments and carried state")
    df.add_argument("a")
    df.add_argument("b")
    args = ap.parse_args()
    if args.command == "diff":
        d, only = diff(args.a, args.b)
        groups = {"parameters": [], "moments": [], "state": []}
        for n, v in d.items():
            kind = "moments" if n.startswith("optim.") else "state" if n.startswith("state.") else "parameters"
            groups[kind].append(v)
        print(json.dumps({"maxAbsDiff": {g: max(v) if v else None for g, v in groups.items()},
                          "worst": max(d, key=d.get) if d else None, "onlyInOne": only}))
        return
    f = load(args.model)
    model = f.model().double()
    with open(args.text, encoding="utf-8") as fh:
        ids = encode(fh.read(), f.vocabulary)
    loss = mean_loss(model, ids)
    print(json.dumps({"model": args.model, "file": args.text, "count": len(ids) - 1, "totalNats": loss * (len(ids) - 1),
                      "meanNats": loss, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
