// The HTML of `charrnn viz`: Karpathy's neuron-firing viewer as one self-contained page (no network, no library:
// plain inline CSS and JS). Every character's background shows the chosen neuron's activation (blue −1 … red +1)
// or the surprisal of the next character; hovering (clicking pins) shows the top-k predictions; a neuron picker
// and the ranked "interesting" neurons. The data is a JSON script element (activations quantised to int8 per
// block, base64). Deliberately pure: no I/O, so it runs in a page too.
import type { FeatureRanking, TraceResult } from '../generate/trace.js';
import { escapeHtml, scriptJson } from './html.js';

/** The id of the script element holding the viewer's data as JSON. */
export const VIZ_DATA_ID = 'charrnn-viz-data';

export interface VizOptions {
  title?: string;
  /** What each token adds to the displayed text (default: the token itself). */
  pieces?: readonly string[];
  /** A line about the model (cell, sizes, backend) for the header. */
  model?: string;
  /** The token of an id (default: as it occurs in the traced text; the model's vocabulary.tokenOf covers all). */
  tokenOf?: (id: number) => string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 of bytes (no Buffer, so it runs in a page). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return out;
}

/** A block's values as int8 steps of scale/127 (scale = the block's largest |value|). */
function quantise(values: Float32Array): { scale: number; data: string } {
  let scale = 0;
  for (const v of values) if (Math.abs(v) > scale) scale = Math.abs(v);
  const q = new Int8Array(values.length);
  if (scale > 0) for (let i = 0; i < values.length; i++) q[i] = Math.round((values[i] / scale) * 127);
  return { scale, data: base64(new Uint8Array(q.buffer)) };
}

const round = (x: number, d: number) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** The data the page reads (exported for tests). */
export function vizData(result: TraceResult, ranking: readonly FeatureRanking[], options: VizOptions = {}) {
  const seen = new Map<number, string>();
  result.ids.forEach((id, i) => seen.set(id, result.tokens[i]));
  const tokenOf = options.tokenOf ?? ((id: number) => seen.get(id) ?? `#${id}`);
  // The tokens of every predicted id, by id.
  const vocab: Record<number, string> = {};
  for (const id of result.topK.ids) vocab[id] ??= tokenOf(id);
  return {
    title: options.title ?? 'charrnn viz',
    model: options.model ?? '',
    tokens: result.tokens,
    pieces: options.pieces ?? result.tokens,
    k: result.topK.k,
    vocab,
    topIds: Array.from(result.topK.ids),
    topProbs: Array.from(result.topK.probs, (p) => round(p, 4)),
    surprisal: Array.from(result.surprisal, (s) => round(s, 3)),
    layers: result.layers.map((l) => ({ name: l.name, kind: l.kind, size: l.size, ...quantise(l.values) })),
    ranking: ranking.map((f) => ({
      feature: f.feature,
      label: f.label,
      neurons: f.neurons.map((n) => ({ layer: n.layer, index: n.index, r: round(n.r, 3) })),
    })),
  };
}

const CSS = `
body{font:14px system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:10px 16px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:18px;margin:0 0 4px}
.sub{color:#666;font-size:12px}
main{display:flex;gap:16px;padding:12px 16px;align-items:flex-start}
#text{flex:1;font:13px/1.5 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #ddd;padding:10px;max-height:80vh;overflow:auto}
.ch{cursor:pointer}
.ch.sel{outline:2px solid #000}
aside{width:330px;flex:none}
section{background:#fff;border:1px solid #ddd;padding:8px 10px;margin-bottom:12px}
h2{font-size:14px;margin:0 0 6px}
h3{font-size:12px;margin:8px 0 2px;color:#444}
table{border-collapse:collapse;width:100%;font:12px ui-monospace,monospace}
td{padding:1px 4px}
.bar{background:#4a7bd0;height:10px}
ol{margin:0;padding-left:22px;font:12px ui-monospace,monospace}
button.n{font:inherit;border:none;background:none;color:#1a4fa0;cursor:pointer;padding:0}
button.n:hover{text-decoration:underline}
.legend{height:10px;margin:4px 0;background:linear-gradient(90deg,#00f,#fff,#f00)}
label{margin-right:8px}
input[type=range]{width:100%}
`;

const JS = `
(function(){
var D=JSON.parse(document.getElementById('${VIZ_DATA_ID}').textContent);
function unb64(s){var b=atob(s),a=new Int8Array(b.length);for(var i=0;i<b.length;i++)a[i]=(b.charCodeAt(i)<<24)>>24;return a;}
var L=D.layers.map(function(l){return {name:l.name,kind:l.kind,size:l.size,scale:l.scale,q:unb64(l.data)};});
var text=document.getElementById('text'),info=document.getElementById('info');
var sel=document.getElementById('layer'),unit=document.getElementById('unit'),slider=document.getElementById('slider');
var state={mode:'neuron',layer:0,unit:0,pinned:-1};
var spans=D.pieces.map(function(p,i){var s=document.createElement('span');s.className='ch';s.dataset.i=String(i);
  s.textContent=p==='\\n'?'\\u21b5\\n':p;text.appendChild(s);return s;});
L.forEach(function(l,i){var o=document.createElement('option');o.value=String(i);o.textContent=l.name+' ('+l.size+')';sel.appendChild(o);});
function act(t){var l=L[state.layer];return l.q[t*l.size+state.unit]/127*l.scale;}
function norm(v){var l=L[state.layer];return l.kind==='h'?Math.max(-1,Math.min(1,v)):(l.scale>0?v/l.scale:0);}
function neuronColor(v){var a=Math.round(255*(1-Math.abs(v)));return v>=0?'rgb(255,'+a+','+a+')':'rgb('+a+','+a+',255)';}
function surpColor(s){if(s===null)return '#eee';var x=Math.min(s/8,1);return 'rgb(255,'+Math.round(255*(1-0.75*x))+','+Math.round(255*(1-x))+')';}
function paint(){for(var t=0;t<spans.length;t++)spans[t].style.background=state.mode==='neuron'?neuronColor(norm(act(t))):surpColor(D.surprisal[t]);
  document.getElementById('legend').style.display=state.mode==='neuron'?'':'none';show(state.pinned>=0?state.pinned:-1);}
function show(t){info.textContent='';if(t<0){info.textContent='Hover over a character (click to pin).';return;}
  var h=document.createElement('div');var l=L[state.layer];
  h.textContent='after '+JSON.stringify(D.tokens[t])+' (#'+t+'): '+l.name+'['+state.unit+'] = '+act(t).toFixed(3)+
    ', next '+(t+1<D.tokens.length?JSON.stringify(D.tokens[t+1])+' surprisal '+D.surprisal[t]+' bits':'—');
  info.appendChild(h);var tb=document.createElement('table');
  for(var j=0;j<D.k;j++){var id=D.topIds[t*D.k+j],p=D.topProbs[t*D.k+j];var tr=document.createElement('tr');tr.className='pred';
    var a=document.createElement('td');a.textContent=JSON.stringify(D.vocab[id]);var b=document.createElement('td');b.textContent=(p*100).toFixed(1)+'%';
    var c=document.createElement('td');c.style.width='50%';var bar=document.createElement('div');bar.className='bar';bar.style.width=(p*100)+'%';c.appendChild(bar);
    tr.appendChild(a);tr.appendChild(b);tr.appendChild(c);tb.appendChild(tr);}
  info.appendChild(tb);}
text.addEventListener('mouseover',function(e){var i=e.target.dataset&&e.target.dataset.i;if(i!==undefined&&state.pinned<0)show(+i);});
text.addEventListener('click',function(e){var i=e.target.dataset&&e.target.dataset.i;if(i===undefined)return;
  if(state.pinned>=0)spans[state.pinned].classList.remove('sel');state.pinned=state.pinned===+i?-1:+i;
  if(state.pinned>=0)spans[state.pinned].classList.add('sel');show(state.pinned>=0?state.pinned:+i);});
function pick(layer,u){state.layer=layer;state.unit=Math.max(0,Math.min(L[layer].size-1,u|0));sel.value=String(layer);
  unit.max=slider.max=String(L[layer].size-1);unit.value=slider.value=String(state.unit);state.mode='neuron';
  document.getElementById('mode-neuron').checked=true;paint();}
sel.addEventListener('change',function(){pick(+sel.value,state.unit);});
unit.addEventListener('input',function(){pick(state.layer,+unit.value);});
slider.addEventListener('input',function(){pick(state.layer,+slider.value);});
document.querySelectorAll('input[name=mode]').forEach(function(r){r.addEventListener('change',function(){state.mode=r.value;paint();});});
var rk=document.getElementById('ranking');
D.ranking.forEach(function(f){var h=document.createElement('h3');h.textContent=f.label;rk.appendChild(h);
  if(!f.neurons.length){var p=document.createElement('div');p.className='sub';p.textContent='(not in this text)';rk.appendChild(p);return;}
  var ol=document.createElement('ol');f.neurons.forEach(function(n){var li=document.createElement('li');var b=document.createElement('button');
    b.className='n';b.textContent=n.layer+'['+n.index+'] r='+(n.r>0?'+':'')+n.r;
    b.addEventListener('click',function(){pick(L.findIndex(function(l){return l.name===n.layer;}),n.index);});li.appendChild(b);ol.appendChild(li);});
  rk.appendChild(ol);});
var first=D.ranking.find(function(f){return f.neurons.length>0;});
if(first)pick(L.findIndex(function(l){return l.name===first.neurons[0].layer;}),first.neurons[0].index);else pick(0,0);
})();
`;

/** The viewer page of a trace and its neuron ranking. */
export function renderViz(
  result: TraceResult,
  ranking: readonly FeatureRanking[],
  options: VizOptions = {},
): string {
  const data = vizData(result, ranking, options);
  const title = escapeHtml(data.title);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body>
<header><h1>${title}</h1><div class="sub">${escapeHtml(data.model)} · ${result.steps} characters · top-${result.topK.k} predictions</div></header>
<main>
<div id="text"></div>
<aside>
<section><h2>Colour</h2>
<label><input type="radio" name="mode" id="mode-neuron" value="neuron" checked> neuron</label>
<label><input type="radio" name="mode" id="mode-surprisal" value="surprisal"> surprisal (bits)</label>
<div id="legend"><div class="legend"></div><div class="sub">−1 … 0 … +1 (tanh range; c blocks scaled by their largest |value|)</div></div>
<div style="margin-top:6px"><select id="layer"></select> unit <input id="unit" type="number" min="0" value="0" style="width:70px"></div>
<input id="slider" type="range" min="0" value="0">
</section>
<section><h2>Prediction</h2><div id="info"></div></section>
<section><h2>Interesting neurons</h2><div class="sub">|Pearson r| of the activation with a feature of the text</div><div id="ranking"></div></section>
</aside>
</main>
<script type="application/json" id="${VIZ_DATA_ID}">${scriptJson(data)}</script>
<script>${JS}</script>
</body></html>
`;
}
