// examples/pytorch/ against charrnn, where PyTorch is installed. PyTorch is an optional peer, never a dependency, so
// this suite runs only where `python3 -c "import torch"` works (Debian: apt-get install python3-torch; another
// interpreter: CHARRNN_TORCH_PYTHON). It checks that a PyTorch-trained model with an unsorted vocabulary, written by
// charrnn_torch.py, loads in charrnn and scores as in PyTorch, and that train_ddp.py continues a charrnn checkpoint
// as `charrnn train --resume` does and writes one that charrnn resumes. The 2-process torchrun round trip takes
// minutes, so it is a documented run (docs/pytorch.md, examples/pytorch/roundtrip.sh), not a test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import { loadModel } from '../../src/io/model-file.js';
import { root, runCli } from '../helpers/cli.js';

const PYTHON = process.env.CHARRNN_TORCH_PYTHON ?? '/usr/bin/python3';
const EXAMPLES = join(root, 'examples/pytorch');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 60_000 }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'charrnn-pytorch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(args: string[]): string {
  const r = spawnSync(PYTHON, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// Models trained a few Adam steps in PyTorch over a vocabulary in first-appearance order (not charrnn's sorted
// one), saved by charrnn_torch.save_model; PyTorch's float64 mean loss on the text is printed beside each path.
// A word model with its tokens shuffled is saved too, with its decoder bias by token.
const TRAIN_IN_TORCH = `
import json, sys, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[1]); import charrnn_torch as ct
text, configs = sys.argv[2], json.loads(sys.argv[3])
tokens = list(dict.fromkeys(text))
assert tokens != sorted(tokens)
ids = torch.tensor([tokens.index(c) for c in text])
out = []
for i, cfg in enumerate(configs):
    torch.manual_seed(i)
    m = ct.CharRNN(dict(cfg, vocabSize=len(tokens)))
    opt = torch.optim.Adam([p for _, p in m.named_charrnn()], lr=1e-2)
    for _ in range(5):
        logits, _ = m(ids[:-1].view(-1, 1))
        loss = F.cross_entropy(logits.view(-1, len(tokens)), ids[1:])
        opt.zero_grad(); loss.backward(); opt.step()
    ct.save_model(f"m{i}.safetensors", m, {"kind": "char", "tokens": tokens})
    out.append({"path": f"m{i}.safetensors", "loss": ct.mean_loss(m.double(), ids)})
words = ["cat", "\\n", "the", ",", "<unk>", "sat"]
m = ct.CharRNN({"cell": "gru", "vocabSize": len(words), "hiddenSize": 4, "embeddingSize": 3})
ct.save_model("words.safetensors", m, {"kind": "word", "tokens": words})
bias = dict(zip(words, m.decoder.bias.tolist()))
print(json.dumps({"models": out, "wordBias": bias}))
`;

describe.runIf(hasTorch)(`examples/pytorch with PyTorch (${PYTHON})`, () => {
  it(
    'writes PyTorch-trained models with an unsorted vocabulary that charrnn loads and scores as PyTorch does',
    { timeout: 180_000 },
    async () => {
      const text = 'the quick brown fox jumps over the lazy dog; THE END.\n'.repeat(8);
      const configs = [
        { cell: 'rnn', hiddenSize: 16 }, // the vanilla model: Wxh columns and Why rows permuted
        { cell: 'gru', hiddenSize: 12, layers: 2 }, // one-hot input: weight_ih_l0 columns permuted
        { cell: 'lstm', hiddenSizes: [16, 12], embeddingSize: 8 }, // embedding rows; one module per layer
      ];
      const out = JSON.parse(python(['-c', TRAIN_IN_TORCH, EXAMPLES, text, JSON.stringify(configs)])) as {
        models: { path: string; loss: number }[];
        wordBias: Record<string, number>;
      };
      expect(out.models).toHaveLength(3);
      for (const { path, loss } of out.models) {
        const model = await loadModel(join(dir, path), { backend: 'js' });
        const r = model.score(text);
        // float32 weights evaluated in float64 (PyTorch) and in float64 registers over float32 storage (the JS
        // backend): the means agree to rounding; 1e-5 is the round trip's stated tolerance.
        expect(Math.abs(r.totalNats / r.count - loss), path).toBeLessThan(1e-5);
        expect(loss, path).toBeLessThan(Math.log(model.vocabulary.size)); // it did train
      }
      const words = await loadModel(join(dir, 'words.safetensors'), { backend: 'js' });
      const bias = words.parameters().get('decoder.bias')!;
      expect(words.vocabulary.tokenOf(0)).toBe('<unk>');
      expect(words.vocabulary.tokenOf(1)).toBe('\n');
      for (const [token, b] of Object.entries(out.wordBias))
        expect(bias[words.vocabulary.idOf(token)], token).toBeCloseTo(b, 6);
    },
  );

  it(
    'train_ddp.py continues a checkpoint as `charrnn train --resume` does, across an epoch boundary',
    { timeout: 180_000 },
    async () => {
      const corpus = join(dir, 'corpus.txt');
      writeFileSync(
        corpus,
        'To be, or not to be, that is the question:\nWhether tis nobler in the mind.\n'.repeat(8),
      );
      const common = ['--eval-every', '0', '--no-log', '--no-progress'];
      const start = join(dir, 'start.safetensors');
      let r = runCli([
        'train',
        '--corpus',
        corpus,
        '--cell',
        'lstm',
        '--layers',
        '2',
        '--hidden',
        '16',
        '--embedding',
        '8',
        '--batch-size',
        '4',
        '--seq-length',
        '8',
        '--optimizer',
        'adam',
        '--clip-value',
        '0',
        '--clip-norm',
        '1',
        '--reduction',
        'mean',
        '--max-iters',
        '10',
        ...common,
        '--out',
        start,
      ]);
      expect(r.code, r.stderr).toBe(0);
      // 540 training tokens, 4 streams of 135, 16 chunks of 8 per epoch: steps 11–22 cross into epoch 1.
      python([
        join(EXAMPLES, 'train_ddp.py'),
        start,
        '--steps',
        '12',
        '--out',
        'torch.safetensors',
        '--no-validate',
      ]);
      r = runCli([
        'train',
        '--resume',
        start,
        '--max-iters',
        '22',
        ...common,
        '--out',
        join(dir, 'node.safetensors'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      const [torch, node] = await Promise.all([
        readCheckpoint(join(dir, 'torch.safetensors')),
        readCheckpoint(join(dir, 'node.safetensors')),
      ]);
      const ts = torch.training!.state;
      const ns = node.training!.state;
      expect([ts.iteration, ts.epoch, ts.position]).toEqual([22, 1, 6]);
      expect([ts.iteration, ts.epoch, ts.position]).toEqual([ns.iteration, ns.epoch, ns.position]);
      expect(Math.abs(ts.smoothLoss - ns.smoothLoss)).toBeLessThan(1e-6);
      expect(torch.lossHistory!.train.map(([i]) => i)).toEqual(node.lossHistory!.train.map(([i]) => i));
      // The same 12 Adam steps in float32 by two engines (summation orders differ): measured ≤ 1e-6 here.
      for (const [name, p] of node.parameters)
        expect(maxAbsDiff(torch.parameters.get(name)!, p), name).toBeLessThan(1e-5);
      expect(maxAbsDiff(torch.training!.model.optState, node.training!.model.optState)).toBeLessThan(1e-5);
      expect(maxAbsDiff(torch.training!.model.hidden, node.training!.model.hidden)).toBeLessThan(1e-4);

      const back = join(dir, 'back.safetensors');
      r = runCli([
        'train',
        '--resume',
        join(dir, 'torch.safetensors'),
        '--max-iters',
        '24',
        ...common,
        '--out',
        back,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect((await readCheckpoint(back)).training!.state.iteration).toBe(24);
    },
  );
});
