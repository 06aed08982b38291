#!/usr/bin/env python3
"""Continue a charrnn checkpoint in PyTorch on many processes (DistributedDataParallel) and write a charrnn
checkpoint that `charrnn train --resume`, `sample` and `score` take.

    torchrun --nproc_per_node 2 examples/pytorch/train_ddp.py run.safetensors --steps 300 --out run-torch.safetensors

Also runs without torchrun (one process, no process group). The run is charrnn's, continued: the corpus split,
the B streams, the T-step chunks, the carried state, the epoch and chunk position, the optimizer with its moments,
the clipping, the reduction and the lr schedule all come from the checkpoint. The B streams are divided between
the processes, each training a contiguous range of B / world streams (and carrying their state): a chunk's loss is
a sum over streams, so the gradient DDP averages (each process's loss is scaled by the world size) is exactly the
single-process gradient of the whole B-stream chunk, up to float summation order. One process on the whole batch
and N processes give the same parameters within float tolerance. gloo on CPU, NCCL where every process has a GPU.

Not carried over: dropout masks (PyTorch draws its own; the checkpoint's dropout PRNG state is written back as it
was read), periodic validation (so a plateau schedule does not cut the lr here), NaN roll-backs (a non-finite loss
stops the run, nothing written), word models (charrnn's word tokenizer is not reimplemented here).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import charrnn_torch as ct  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="a charrnn checkpoint (what `charrnn train --out` writes)")
    ap.add_argument("--steps", type=int, required=True, help="chunks (optimizer updates) to train")
    ap.add_argument("--out", required=True, help="where to write the charrnn checkpoint")
    ap.add_argument("--corpus", help="the corpus file (default: the one the checkpoint records)")
    ap.add_argument("--backend", choices=("auto", "gloo", "nccl"), default="auto",
                    help="process-group backend (auto: nccl when CUDA is available, else gloo)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process (CPU)")
    ap.add_argument("--log-every", type=int, default=50, help="print the mean chunk loss every N steps")
    ap.add_argument("--validate", action=argparse.BooleanOptionalAction, default=True,
                    help="print the validation loss of the result (float64, as `charrnn score` computes it)")
    ap.add_argument("--validation-text", help="also write the validation split's text here (for `charrnn score`)")
    return ap.parse_args()


def main():
    args = parse_args()
    distributed = "WORLD_SIZE" in os.environ
    use_cuda = args.backend == "nccl" or (args.backend == "auto" and torch.cuda.is_available())
    if distributed:
        dist.init_process_group("nccl" if use_cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    torch.set_num_threads(args.threads)
    say = (lambda *a: print(*a, flush=True)) if rank == 0 else (lambda *a: None)

    f = ct.load(args.checkpoint)
    if not f.is_checkpoint:
        raise SystemExit(f"{args.checkpoint} is a plain model, not a checkpoint: continue one that "
                         "`charrnn train --out` wrote (it holds the optimizer and the batching position)")
    s = f.training_state
    B, T = s["batchSize"], s["seqLength"]
    if B % world:
        raise SystemExit(f"the checkpoint's batch of {B} streams does not divide among {world} processes: "
                         f"run a number of processes that divides {B}")
    corpus = args.corpus or ct.resolve_corpus(s["corpus"]["ref"])
    with open(corpus, encoding="utf-8") as fh:
        ids = ct.encode(fh.read(), f.vocabulary)
    train_ids, val_ids = ct.split(ids, s["corpus"]["validationFraction"])
    if len(train_ids) != s["corpus"]["trainTokens"]:
        raise SystemExit(f"{corpus}: {len(train_ids)} training tokens, the checkpoint trained on "
                         f"{s['corpus']['trainTokens']}: not the same corpus (pass --corpus FILE)")

    per = B // world
    mine = range(rank * per, (rank + 1) * per)
    batcher = ct.Batcher(train_ids, B, T, s["epoch"], s["position"], mine)
    model = f.model().to(device)
    opt = f.optimizer(model)  # moments moved to the parameters' device
    params = [p for _, p in model.named_charrnn()]
    state = [tuple(t[mine.start : mine.stop].to(device) for t in layer)
             for layer in ct.state_from_file(f.hidden, f.config)]
    net = model
    if distributed:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if use_cuda else None)
    net.train()

    o, sched = s["optimizer"], s["schedule"]
    V = f.config["vocabSize"]
    # Each process's loss, scaled so that DDP's average over processes is charrnn's gradient of the whole chunk:
    # the sum over all B·T tokens ('sum') or its mean ('mean').
    scale = world / (B * T) if s["reduction"] == "mean" else float(world)
    history = f.loss_history
    smooth, iteration = s["smoothLoss"], s["iteration"]
    window, t0 = [], time.perf_counter()
    say(f"continuing {args.checkpoint} at iteration {iteration} (epoch {s['epoch']}, chunk {s['position']}) on "
        f"{world} process(es), {'nccl' if use_cuda else 'gloo' if distributed else 'no process group'}, "
        f"{per} of {B} streams each, T {T}, {o['kind']}, torch {torch.__version__}")
    for _ in range(args.steps):
        x, y, wrapped = batcher.next()
        if wrapped:  # a new pass over the data starts from a zero state
            state = [tuple(torch.zeros_like(t) for t in layer) for layer in state]
        lr = ct.lr_at(s["lrSchedule"], sched, iteration)
        for g in opt.param_groups:
            g["lr"] = lr
        logits, state = net(x.to(device), state)
        state = [tuple(t.detach() for t in layer) for layer in state]
        local = F.cross_entropy(logits.view(-1, V), y.reshape(-1).to(device), reduction="sum")
        opt.zero_grad(set_to_none=True)
        (local * scale).backward()
        total = local.detach().clone()
        if distributed:
            dist.all_reduce(total)
        loss = total.item() / (B * T)
        if not math.isfinite(loss):
            raise SystemExit(f"the loss is {loss} at iteration {iteration + 1}: stopping, nothing written")
        ct.clip_gradients(params, s["clipValue"], s["clipNorm"])
        ct.decay_weights(params, lr, o["weightDecay"])
        opt.step()
        iteration += 1
        smooth = s["smoothing"] * smooth + (1 - s["smoothing"]) * loss
        if history is not None:
            ct.record_train_loss(history, iteration, loss)
        window.append(loss)
        if len(window) == args.log_every:
            say(f"  iteration {iteration}  loss {sum(window) / len(window):.4f}  "
                f"{(time.perf_counter() - t0):.1f} s")
            window = []
    wall = time.perf_counter() - t0

    # The carried state of every stream, in stream order, for the checkpoint.
    if distributed:
        gathered = []
        for layer in state:
            parts = []
            for t in layer:
                bufs = [torch.empty_like(t) for _ in range(world)]
                dist.all_gather(bufs, t.contiguous())
                parts.append(torch.cat(bufs))
            gathered.append(tuple(parts))
        state = gathered
    if rank == 0:
        s.update(iteration=iteration, epoch=batcher.epoch, position=batcher.position, smoothLoss=smooth,
                 lr=ct.lr_at(s["lrSchedule"], sched, iteration))
        model.cpu()
        moments = ct.optimizer_moments(model, opt, o)
        rng = json.loads(f.metadata["dropout_rng"])
        extra = dict(f.metadata)  # e.g. the CLI's `corpus`; the charrnn keys are rewritten
        ct.save_checkpoint(args.out, model, f.vocabulary, s, moments, [tuple(t.cpu() for t in l) for l in state],
                           rng, history, extra)
        say(f"wrote {args.out}: iteration {iteration}, epoch {batcher.epoch}, chunk {batcher.position}; "
            f"{args.steps} steps in {wall:.1f} s ({args.steps * B * T / wall:,.0f} chars/s)")
        if args.validation_text:
            with open(args.validation_text, "w", encoding="utf-8") as fh:
                fh.write("".join(f.vocabulary["tokens"][i] for i in val_ids.tolist()))
        if args.validate and len(val_ids) > 1:
            v = ct.mean_loss(model.double(), val_ids)
            say(f"validation loss (PyTorch, float64): {v:.10f} nats/char over {len(val_ids) - 1} predictions")
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
