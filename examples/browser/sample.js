// The sample page: load a .safetensors model (file picker or drag and drop) with decodeModel, sample it with the
// generation options (the text appears as it is generated), then trace the prime and the sample through the model
// and show charrnn viz's neuron viewer of it. Everything runs in the page on the TypeScript backend; the same model,
// seed and options give the same text as Node.
import { decodeModel, rankNeurons, renderViz } from '../../dist/charrnn.browser.js';

const $ = (id) => document.getElementById(id);
let model;
let modelName = '';

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').style.color = isError ? '#b00' : '';
}

async function load(file) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    model = decodeModel(bytes, { source: file.name });
    modelName = file.name;
    const c = model.config;
    $('model-info').textContent =
      `${file.name}: ${c.cell} ×${c.layers}, hidden ${c.hiddenSizes.join('/')}, ` +
      `${c.vocabSize} tokens, ${model.parameterCount.toLocaleString('en-US')} parameters (backend ${model.backend})`;
    $('sample').disabled = false;
    setStatus('Model loaded.');
    document.body.dataset.model = 'loaded';
  } catch (err) {
    model = undefined;
    $('sample').disabled = true;
    setStatus(`Could not load ${file.name}: ${err.message}`, true);
  }
}

/** The generation options of the form, as model.stream / model.sample take them. */
function options() {
  const num = (id) => Number($(id).value);
  const o = { length: num('length'), temperature: num('temperature'), seed: num('seed') };
  if (num('topK') > 0) o.topK = num('topK');
  if (num('topP') < 1) o.topP = num('topP');
  if ($('prime').value !== '') o.prime = $('prime').value;
  return o;
}

function showViewer(text) {
  // The viewer shows at most a few thousand characters; one trace of them is quick on a small model.
  const result = model.trace(text, { topK: Math.min(5, model.config.vocabSize) });
  const c = model.config;
  const v = model.vocabulary;
  $('viewer').srcdoc = renderViz(result, rankNeurons(result, { top: 5 }), {
    title: `charrnn viz: ${modelName}`,
    model: `${c.cell} ×${c.layers} hidden ${c.hiddenSizes.join('/')} (${model.backend}, in the browser)`,
    pieces: Array.from(result.ids, (id, i) => v.decodeStep(i === 0 ? -1 : result.ids[i - 1], id)),
    tokenOf: (id) => v.tokenOf(id),
  });
}

async function sample(event) {
  event.preventDefault();
  if (!model) return;
  const o = options();
  $('sample').disabled = true;
  document.body.dataset.state = 'sampling';
  $('output').textContent = '';
  try {
    let text = '';
    for await (const piece of model.stream(o)) {
      text += piece;
      $('output').textContent = text;
    }
    const traced = (o.prime ?? '') + text;
    if (traced.length >= 2) showViewer(traced.slice(0, 3000));
    setStatus(`Sampled ${text.length} characters (seed ${o.seed}).`);
  } catch (err) {
    setStatus(err.message, true);
  } finally {
    $('sample').disabled = false;
    document.body.dataset.state = 'done';
  }
}

$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  if (file) void load(file);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void load(file);
});
$('options').addEventListener('submit', (e) => void sample(e));
