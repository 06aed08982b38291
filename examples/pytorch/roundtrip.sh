#!/usr/bin/env bash
# The documented round trip (docs/pytorch.md): charrnn trains a checkpoint, torchrun continues it on 2 processes
# (and, for the check, on 1), charrnn scores the result and resumes it. Prints every figure the docs quote.
# Usage (from a checkout, after `npm run build`):  bash examples/pytorch/roundtrip.sh [WORKDIR]
# Environment: CHARRNN_DATA_DIR (the corpus), PYTHON (default /usr/bin/python3, which needs torch),
# TORCHRUN (default torchrun), STEPS (torch steps, default 300), FIRST (charrnn iterations before, default 200).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="${1:-$(mktemp -d)}"
PYTHON="${PYTHON:-/usr/bin/python3}"
STEPS="${STEPS:-300}"
FIRST="${FIRST:-200}"
CHARRNN=(node "$ROOT/dist/cli/main.js")
read -r -a TORCHRUN <<< "${TORCHRUN:-torchrun}"
mkdir -p "$WORK" && cd "$WORK"
echo "work folder: $WORK"
t() { local s=$SECONDS; "$@"; echo "  ($((SECONDS - s)) s wall)"; }

echo "== 1. charrnn trains $FIRST iterations (2-layer LSTM 128, embedding 32, B 32, T 64, Adam, clip-norm 5)"
t "${CHARRNN[@]}" train --corpus shakespeare --cell lstm --layers 2 --hidden 128 --embedding 32 --batch-size 32 \
  --seq-length 64 --optimizer adam --lr 2e-3 --clip-value 0 --clip-norm 5 --reduction mean --max-iters "$FIRST" \
  --eval-every 0 --no-progress --no-log --out start.safetensors 2>&1 | tail -2

echo "== 2. torchrun continues it for $STEPS steps on 2 processes (gloo)"
# --redirects 1 --tee 1: torch 1.13's torchrun fails on Python 3.11 with the default (0) for both.
t "${TORCHRUN[@]}" --nproc_per_node 2 --redirects 1 --tee 1 "$HERE/train_ddp.py" start.safetensors --steps "$STEPS" \
  --out torch2.safetensors --validation-text validation.txt 2>&1 | grep -v '^\*\|OMP_NUM_THREADS\|^WARNING\|^$'

echo "== 3. the same on 1 process: the same parameters within float tolerance"
t "$PYTHON" "$HERE/train_ddp.py" start.safetensors --steps "$STEPS" --out torch1.safetensors --no-validate
"$PYTHON" "$HERE/charrnn_torch.py" diff torch1.safetensors torch2.safetensors

echo "== 4. charrnn itself continues the same $STEPS steps: the same parameters within float tolerance"
t "${CHARRNN[@]}" train --resume start.safetensors --max-iters $((FIRST + STEPS)) --eval-every 0 --no-progress --no-log \
  --out charrnn.safetensors 2>&1 | tail -1
"$PYTHON" "$HERE/charrnn_torch.py" diff charrnn.safetensors torch2.safetensors

echo "== 5. charrnn score of the torch result on the validation split vs PyTorch's loss"
"${CHARRNN[@]}" score torch2.safetensors validation.txt --json > score.json
"$PYTHON" "$HERE/charrnn_torch.py" score torch2.safetensors validation.txt > torch-score.json
"$PYTHON" - <<'EOF2'
import json
c, p = json.load(open("score.json")), json.load(open("torch-score.json"))
ours = c["totalNats"] / c["count"]
print(f"charrnn score {ours:.10f}, PyTorch {p['meanNats']:.10f} nats/char over {c['count']} / {p['count']} "
      f"characters: |diff| {abs(ours - p['meanNats']):.2e}")
EOF2

echo "== 6. charrnn resumes the torch result for 20 more iterations"
t "${CHARRNN[@]}" train --resume torch2.safetensors --max-iters $((FIRST + STEPS + 20)) --eval-every 0 --no-progress \
  --no-log --out back.safetensors 2>&1 | tail -2
