// The training worker of the train page (a module Web Worker): builds a model of the text it is sent, trains it with
// charrnn's train() on the TypeScript backend and posts what happens. Messages in: {type: 'train', text, model,
// train} | {type: 'stop'} | {type: 'save'}. Messages out: {type: 'progress', iteration, loss, smoothLoss,
// charsPerSec} | {type: 'sample', iteration, text} | {type: 'done', iterations, stoppedBy, seconds} | {type: 'model',
// bytes} (the .safetensors bytes of encodeModel, transferred) | {type: 'error', message}.
import { CharRNN, Corpus, encodeModel, train, Vocabulary } from '../../dist/charrnn.browser.js';

let model;
let controller;
let training = false;

async function run({ text, model: modelOptions, train: trainOptions }) {
  const vocabulary = Vocabulary.fromText(text);
  const corpus = Corpus.fromText(text, { vocabulary, validationFraction: 0.1 });
  model = CharRNN.create({ vocabulary, ...modelOptions });
  controller = new AbortController();
  training = true;
  const started = performance.now();
  const result = await train(model, corpus.train, corpus.validation, {
    ...trainOptions,
    logEvery: 1,
    signal: controller.signal,
    onEvent(e) {
      if (e.type === 'progress')
        postMessage({
          type: 'progress',
          iteration: e.iteration,
          loss: e.loss,
          smoothLoss: e.smoothLoss,
          charsPerSec: e.charsPerSec,
        });
      else if (e.type === 'sample') postMessage({ type: 'sample', iteration: e.iteration, text: e.text });
    },
  });
  training = false;
  postMessage({
    type: 'done',
    iterations: result.iterations,
    stoppedBy: result.stoppedBy,
    seconds: (performance.now() - started) / 1000,
  });
}

onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'train') {
    if (training) return postMessage({ type: 'error', message: 'already training' });
    run(msg).catch((err) => {
      training = false;
      postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    });
  } else if (msg.type === 'stop') {
    controller?.abort();
  } else if (msg.type === 'save') {
    if (!model || training) return postMessage({ type: 'error', message: 'no trained model to save yet' });
    const bytes = encodeModel(model);
    postMessage({ type: 'model', bytes }, [bytes.buffer]);
  }
};
