// The train page: sends the text and options to train-worker.js (a module Web Worker) and draws the loss it posts as
// a live chart; the page's own timer keeps ticking while the worker trains. "Save model" asks the worker for the
// model's .safetensors bytes (encodeModel) and offers them as a download, which the sample page, Node's loadModel
// and `charrnn sample` all read.
const $ = (id) => document.getElementById(id);

const DEFAULT_TEXT = `MILLER:
The river runs slower where the mill wheel turns,
and every spoke remembers the weight of the grain.
Bring the lantern down; the night is long and cold.

BAKER:
Then bring the flour, and bring it dry, my friend;
the ovens wake before the morning bell,
and bread will not wait for a sleeping town.
`;
$('text').value = DEFAULT_TEXT;

// The page's own pulse: a timer that would stall if training ran on this thread.
let ticks = 0;
setInterval(() => {
  ticks++;
  $('ticks').textContent = String(ticks);
}, 10);

/** Loss points: [iteration, loss, smoothLoss]. */
let points = [];

function drawChart() {
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  canvas.dataset.points = String(points.length);
  if (points.length === 0) return;
  const pad = 36;
  const maxIt = Math.max(1, points[points.length - 1][0]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, loss, smooth] of points) {
    lo = Math.min(lo, loss, smooth);
    hi = Math.max(hi, loss, smooth);
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  const x = (it) => pad + ((w - 2 * pad) * it) / maxIt;
  const y = (v) => h - pad - ((h - 2 * pad) * (v - lo)) / (hi - lo);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(pad, pad, w - 2 * pad, h - 2 * pad);
  ctx.fillStyle = '#666';
  ctx.font = '12px sans-serif';
  ctx.fillText(hi.toFixed(3), 2, pad + 4);
  ctx.fillText(lo.toFixed(3), 2, h - pad + 4);
  ctx.fillText(`iteration ${maxIt}`, w - pad - 90, h - pad + 16);
  const line = (index, colour) => {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p[0]), y(p[index])) : ctx.lineTo(x(p[0]), y(p[index]))));
    ctx.stroke();
  };
  line(1, '#9bd');
  line(2, '#c33');
}

let pending = false;
function scheduleDraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    drawChart();
  });
}

const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
worker.onerror = (e) => {
  $('status').textContent = `The worker failed: ${e.message}`;
};
worker.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'progress') {
    points.push([msg.iteration, msg.loss, msg.smoothLoss]);
    $('status').textContent =
      `Training: iteration ${msg.iteration}, loss ${msg.loss.toFixed(4)}, ` +
      `${Math.round(msg.charsPerSec).toLocaleString('en-US')} chars/s`;
    document.body.dataset.iteration = String(msg.iteration);
    scheduleDraw();
  } else if (msg.type === 'sample') {
    $('sample-text').textContent = msg.text;
  } else if (msg.type === 'done') {
    $('status').textContent =
      `Done: ${msg.iterations} iterations in ${msg.seconds.toFixed(1)} s (stopped by ${msg.stoppedBy}); ` +
      `last loss ${points.length ? points[points.length - 1][1].toFixed(4) : '—'}.`;
    setTraining(false);
    $('save').disabled = false;
    drawChart();
  } else if (msg.type === 'model') {
    const blob = new Blob([msg.bytes], { type: 'application/octet-stream' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'browser-model.safetensors';
    document.body.appendChild(a);
    a.click();
    a.remove();
    $('status').textContent =
      `Saved browser-model.safetensors (${msg.bytes.length.toLocaleString('en-US')} bytes).`;
  } else if (msg.type === 'error') {
    $('status').textContent = `Error: ${msg.message}`;
    setTraining(false);
  }
};

function setTraining(on) {
  document.body.dataset.state = on ? 'training' : 'idle';
  $('train').disabled = on;
  $('stop').disabled = !on;
  if (on) $('save').disabled = true;
}

$('options').addEventListener('submit', (e) => {
  e.preventDefault();
  const num = (id) => Number($(id).value);
  points = [];
  drawChart();
  setTraining(true);
  $('status').textContent = 'Starting…';
  worker.postMessage({
    type: 'train',
    text: $('text').value,
    model: { cell: $('cell').value, hiddenSize: num('hiddenSize'), seed: num('seed'), backend: 'js' },
    train: {
      seqLength: num('seqLength'),
      batchSize: num('batchSize'),
      maxIters: num('maxIters'),
      optimizer: { kind: 'adam', lr: num('lr') },
      seed: num('seed'),
      sampleEvery: 50,
      sampleLength: 160,
      evalEvery: 0,
    },
  });
});
$('stop').addEventListener('click', () => worker.postMessage({ type: 'stop' }));
$('save').addEventListener('click', () => worker.postMessage({ type: 'save' }));
