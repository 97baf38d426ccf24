/**
 * The page: settings form, automation URL (`/?model=stories260K&method=dass&sparsity=2:4&…&autorun=1`), progress,
 * cancel, results (perplexity, per-matrix sparsity / N:M check / output error, ‖h_i‖ histograms), downloads.
 */
import { TARGET_SETS } from '@dass/pipeline';
import type { PruneSettings } from '@dass/pipeline';
import { getScoringMethod, scoringMethodNames } from '@dass/scoring';
import type { BackendChoice, BackendRequest } from '@dass/tensor-backend';
import { Zip, ZipPassThrough } from 'fflate';
import { describeHfPick, pickedFolder } from './hf-input.js';
import { modelBytes, tooLargeMessage } from './run.js';
import type { EvalSettings, ModelInput, RunInputs, RunResult } from './run.js';
import type { WorkerRequest } from './worker.js';

const EVAL_SEQLEN = 256; // `dass demo`'s evaluation windows

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('settings');
const methodSelect = $<HTMLSelectElement>('method');
const targetsSelect = $<HTMLSelectElement>('targets');
const result = $<HTMLPreElement>('result');
const statusLine = $<HTMLParagraphElement>('status');
const progress = $<HTMLProgressElement>('progress');
const runButton = $<HTMLButtonElement>('run');
const cancelButton = $<HTMLButtonElement>('cancel');

for (const name of scoringMethodNames()) {
  const m = getScoringMethod(name);
  methodSelect.add(new Option(`${m.label} — ${m.description}`, name));
}
for (const name of Object.keys(TARGET_SETS)) targetsSelect.add(new Option(name === 'mlp' ? 'mlp (gate, up, down)' : `${name} (attention and MLP)`, name));

function hasAlpha(method: string): boolean {
  return getScoringMethod(method).options.some((o) => o.name === 'alpha');
}
function syncVisibility(): void {
  $('alpha-label').hidden = !hasAlpha(methodSelect.value);
  const modelChoice = (form.elements.namedItem('model-choice') as RadioNodeList).value;
  $('model-files').hidden = modelChoice !== 'files';
  $('hf-files').hidden = modelChoice !== 'hf';
  const calib = (form.elements.namedItem('calib-choice') as RadioNodeList).value;
  $('calib-paste-label').hidden = calib !== 'paste';
  $('calib-file-label').hidden = calib !== 'file';
}
form.addEventListener('change', syncVisibility);

const hfFolderInput = $<HTMLInputElement>('hf-folder');
const hfFileListInput = $<HTMLInputElement>('hf-file-list');
/** The HF pick in use: the folder or the file list, whichever was picked last. */
let hfPick: File[] = [];
for (const [input, other] of [
  [hfFolderInput, hfFileListInput],
  [hfFileListInput, hfFolderInput],
] as const) {
  input.addEventListener('change', () => {
    hfPick = [...(input.files ?? [])];
    other.value = '';
    const summary = hfPick.length ? describeHfPick(pickedFolder(hfPick)) : { ok: true, text: '' };
    $('hf-summary').textContent = summary.text;
    $('hf-summary').className = summary.ok ? 'note' : 'note fail';
  });
}

// Automation parameters override the form's defaults.
const params = new URLSearchParams(location.search);
const fields: [string, string][] = [
  ['method', 'method'],
  ['sparsity', 'sparsity'],
  ['alpha', 'alpha'],
  ['targets', 'targets'],
  ['nsamples', 'nsamples'],
  ['seqlen', 'seqlen'],
  ['seed', 'seed'],
  ['evalWindows', 'eval-windows'],
];
for (const [param, id] of fields) {
  const value = params.get(param);
  if (value !== null) ($(id) as HTMLInputElement | HTMLSelectElement).value = value;
}
if (!methodSelect.value) methodSelect.value = 'dass';
syncVisibility();

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(new URL(path, document.baseURI));
  if (!response.ok) throw new Error(`${path}: the site answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function integer(id: string, label: string): number {
  const raw = ($(id) as HTMLInputElement).value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isSafeInteger(v)) throw new Error(`${label}: expected an integer, got ${JSON.stringify(raw)}`);
  return v;
}

async function gatherInputs() {
  const modelChoice = params.get('model') === 'stories260K' ? 'bundled' : (form.elements.namedItem('model-choice') as RadioNodeList).value;
  let model: ModelInput;
  if (modelChoice === 'bundled') {
    model = {
      kind: 'llama2c',
      model: { name: 'stories260K.bin', bytes: await fetchBytes('data/stories260K.bin') },
      tokenizer: { name: 'tok512.bin', bytes: await fetchBytes('data/tok512.bin') },
    };
  } else if (modelChoice === 'hf') {
    if (hfPick.length === 0) throw new Error('Hugging Face folder: choose the folder (or its files: config.json, the safetensors, the tokenizer)');
    const pick = pickedFolder(hfPick);
    const check = describeHfPick(pick);
    if (!check.ok) throw new Error(check.text);
    model = { kind: 'hf', folder: pick.folder, files: pick.files };
    const tooLarge = tooLargeMessage(pick.folder || 'this checkpoint', modelBytes(model)); // before anything is read
    if (tooLarge) throw new Error(tooLarge);
  } else {
    const m = $<HTMLInputElement>('model-file').files?.[0];
    const t = $<HTMLInputElement>('tokenizer-file').files?.[0];
    if (!m) throw new Error('Checkpoint: choose a llama2.c .bin file');
    if (!t) throw new Error('Tokenizer: choose the tokenizer of that model (tokenizer.bin, .model or tokenizer.json)');
    const tooLarge = tooLargeMessage(m.name, m.size); // before anything is read
    if (tooLarge) throw new Error(tooLarge);
    model = { kind: 'llama2c', model: m, tokenizer: t };
  }
  const calibChoice = (form.elements.namedItem('calib-choice') as RadioNodeList).value;
  let calibration: { name: string; bytes: Uint8Array };
  if (calibChoice === 'paste') {
    calibration = { name: 'pasted text', bytes: new TextEncoder().encode($<HTMLTextAreaElement>('calib-text').value) };
  } else if (calibChoice === 'file') {
    const f = $<HTMLInputElement>('calib-file').files?.[0];
    if (!f) throw new Error('Calibration file: choose a text or JSON-lines file (gzip-compressed too)');
    calibration = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
  } else {
    calibration = { name: 'tinystories_train_head.txt', bytes: await fetchBytes('data/tinystories_train_head.txt') };
  }
  const evaluation = { name: 'tinystories_validation_head_60k.txt', bytes: await fetchBytes('data/tinystories_validation_head_60k.txt') };
  return { model, calibration, evaluation };
}

function settingsFromForm(): PruneSettings {
  const method = methodSelect.value;
  const settings: PruneSettings = {
    method,
    sparsity: $<HTMLInputElement>('sparsity').value.trim(),
    targets: targetsSelect.value,
    nsamples: integer('nsamples', 'Calibration samples'),
    seqlen: integer('seqlen', 'Sequence length'),
    seed: integer('seed', 'Seed'),
    backend: (params.get('backend') as PruneSettings['backend']) ?? 'auto',
  };
  if (hasAlpha(method)) settings.alpha = Number($<HTMLInputElement>('alpha').value);
  return settings;
}

function showBackend(choice: BackendChoice): void {
  const skipped = choice.skipped.filter((s) => s.name === 'webgpu' || s.name === 'wasm');
  const why = skipped.length
    ? ` — ${skipped.map((s) => `${s.name} not used: ${s.reason}`).join('; ')}`
    : choice.name === 'webgpu'
      ? ` — GPU adapter: ${choice.adapter?.description || choice.adapter?.vendor || 'unnamed'}`
      : '';
  $('backend').textContent = `Backend: ${choice.name}${why}`;
}

const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function cell(row: HTMLTableRowElement, text: string, header = false, className?: string): void {
  const c = document.createElement(header ? 'th' : 'td');
  c.textContent = text;
  if (header) c.setAttribute('scope', row.parentElement?.tagName === 'THEAD' ? 'col' : 'row');
  if (className) c.className = className;
  row.append(c);
}

function table(el: HTMLTableElement, head: string[], rows: { cells: string[]; classes?: (string | undefined)[] }[]): void {
  el.querySelectorAll('thead, tbody').forEach((n) => n.remove());
  const thead = el.createTHead();
  const hr = thead.insertRow();
  head.forEach((h) => cell(hr, h, true));
  const tbody = el.createTBody();
  for (const r of rows) {
    const tr = tbody.insertRow();
    r.cells.forEach((c, i) => cell(tr, c, i === 0, r.classes?.[i]));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** A histogram of `values` (bins of equal width from 0 to the max) as an SVG with a text alternative. */
function histogram(values: Float64Array, title: string): HTMLElement {
  const bins = 24;
  const max = values.reduce((a, b) => Math.max(a, b), 0) || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]!++;
  const top = Math.max(...counts);
  const [w, h, pad] = [240, 110, 16];
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h + pad}`);
  svg.setAttribute('role', 'img');
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  svg.setAttribute('aria-label', `${title}: ${values.length} neurons, ‖h‖ from ${fmt(sorted[0] ?? 0, 3)} to ${fmt(max, 3)}, median ${fmt(median, 3)}`);
  counts.forEach((c, i) => {
    const r = document.createElementNS(SVG, 'rect');
    const bh = top ? (c / top) * (h - 4) : 0;
    r.setAttribute('x', String((i * w) / bins + 0.5));
    r.setAttribute('width', String(w / bins - 1));
    r.setAttribute('y', String(h - bh));
    r.setAttribute('height', String(bh));
    svg.append(r);
  });
  for (const [x, label, anchor] of [
    [0, '0', 'start'],
    [w, fmt(max, 3), 'end'],
  ] as const) {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(h + pad - 3));
    t.setAttribute('text-anchor', anchor);
    t.textContent = label;
    svg.append(t);
  }
  const figure = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(svg, caption);
  return figure;
}

function download(bytes: Uint8Array | Blob | string, name: string, type: string, label: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(bytes instanceof Blob ? bytes : new Blob([bytes as BlobPart], { type }));
  a.download = name;
  a.className = 'download';
  a.textContent = label;
  return a;
}

/**
 * A zip of the pruned folder (`folder/<file>` for each file), stored without compression (weights do not compress
 * much, and storing keeps it quick): fflate's streaming Zip, the files' bytes passed through as they are.
 */
async function zipFolder(folder: string, files: RunResult['pruned']['files']): Promise<Blob> {
  const parts: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else parts.push(chunk);
  });
  for (const f of files) {
    const entry = new ZipPassThrough(`${folder}/${f.name}`);
    zip.add(entry);
    if (f.data instanceof Blob) {
      const reader = f.data.stream().getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) entry.push(r.value, false);
      entry.push(new Uint8Array(0), true);
    } else entry.push(f.data, true);
  }
  zip.end();
  if (failure) throw failure;
  return new Blob(parts as BlobPart[], { type: 'application/zip' });
}

function showResults(r: RunResult): void {
  $('results').hidden = false;
  const s = r.manifest.sparsity;
  table(
    $<HTMLTableElement>('summary'),
    ['model', 'perplexity', 'sparsity of targets', 'windows × tokens'],
    [
      { cells: ['dense', fmt(r.densePpl.ppl, 6), pct(0), `${r.densePpl.windows} × ${r.densePpl.seqlen}`] },
      {
        cells: [
          `${r.manifest.label} ${r.manifest.pattern}`,
          fmt(r.prunedPpl.ppl, 6),
          pct(s.overTargets.ratio),
          `${r.prunedPpl.windows} × ${r.prunedPpl.seqlen}`,
        ],
      },
    ],
  );
  const nm = r.manifest.pattern.includes(':');
  table(
    $<HTMLTableElement>('matrices'),
    ['matrix', 'shape', 'sparsity', `N:M along`, 'N:M check', 'output error Σ(ΔW)²·‖x‖²'],
    r.matrices.map((m) => ({
      cells: [
        `layer ${m.layer} ${m.linear}`,
        m.shape.join(' × '),
        pct(m.sparsity),
        m.nmAxis === 'out' ? 'output rows' : 'input columns',
        nm ? (m.nmValid ? 'valid' : `${m.violatingGroups} groups violate`) : 'unstructured',
        fmt(m.outputError, 4),
      ],
      classes: [undefined, undefined, undefined, undefined, nm ? (m.nmValid ? 'ok' : 'fail') : undefined, undefined],
    })),
  );
  const hist = $('histograms');
  hist.replaceChildren(...r.neuronNorms.map((norms, layer) => histogram(norms, `layer ${layer}: ‖h_i‖ of ${norms.length} neurons`)));
  const links = $('downloads');
  const files = r.pruned.files.map((f) =>
    download(f.data, f.name, 'application/octet-stream', r.pruned.format === 'hf' ? f.name : `Download the pruned checkpoint (${f.name})`),
  );
  const manifest = download(JSON.stringify(r.manifest, null, 2) + '\n', 'run.json', 'application/json', 'Download the run manifest (run.json)');
  if (r.pruned.format === 'hf') {
    const intro = document.createElement('span');
    intro.textContent = `The pruned folder ${r.pruned.name}, one file each: `;
    const zipButton = document.createElement('button');
    zipButton.type = 'button';
    zipButton.id = 'make-zip';
    zipButton.textContent = `Make ${r.pruned.name}.zip (the whole folder, one download)`;
    zipButton.addEventListener('click', () => {
      zipButton.disabled = true;
      zipButton.textContent = `Making ${r.pruned.name}.zip…`;
      void zipFolder(r.pruned.name, r.pruned.files).then(
        (blob) => {
          const link = download(blob, `${r.pruned.name}.zip`, 'application/zip', `Download ${r.pruned.name}.zip (${(blob.size / 1e6).toFixed(1)} MB)`);
          zipButton.replaceWith(link);
          link.focus();
        },
        (err: Error) => {
          zipButton.disabled = false;
          zipButton.textContent = `Make ${r.pruned.name}.zip (failed: ${err.message}; try again)`;
        },
      );
    });
    links.replaceChildren(intro, ...files, document.createElement('br'), zipButton, manifest);
  } else links.replaceChildren(...files, manifest);
}

const backendRequest = (params.get('backend') as BackendRequest | null) ?? 'auto';
let worker: Worker;
let backendReady: Promise<BackendChoice>;

/** A fresh run thread (at load, and after a cancel ended the previous one); it picks the backend first. */
function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  backendReady = new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      if (event.data.type !== 'backend' && event.data.type !== 'error') return;
      worker.removeEventListener('message', onMessage);
      if (event.data.type === 'backend') resolve(event.data.choice as BackendChoice);
      else reject(new Error(event.data.message as string));
    };
    worker.addEventListener('message', onMessage);
  });
  backendReady.then(showBackend, (err: Error) => ($('backend').textContent = `Backend: none (${err.message})`));
  const request: WorkerRequest = { type: 'backend', request: backendRequest, wasmPaths: new URL('./tfjs-wasm/', document.baseURI).href };
  worker.postMessage(request);
}

let cancelRun: (() => void) | undefined;

/** Runs on the worker; resolves with its result, rejects with its error message, or with 'cancelled'. */
function runOnWorker(inputs: RunInputs, settings: PruneSettings, evalSettings: EvalSettings): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      const m = event.data;
      if (m.type === 'status') {
        statusLine.textContent = m.message;
        if (m.fraction !== undefined) progress.value = m.fraction;
      } else if (m.type === 'warning') {
        const li = document.createElement('li');
        li.textContent = m.message;
        $('warnings').append(li);
      } else if (m.type === 'done' || m.type === 'error') {
        worker.removeEventListener('message', onMessage);
        cancelRun = undefined;
        if (m.type === 'done') resolve(m.result as RunResult);
        else reject(new Error(m.message));
      }
    };
    worker.addEventListener('message', onMessage);
    cancelRun = () => {
      // The worker is busy computing and cannot read messages: ending it stops the run at once; nothing it held is kept.
      worker.removeEventListener('message', onMessage);
      worker.terminate();
      cancelRun = undefined;
      startWorker();
      reject(new DOMException('cancelled', 'AbortError'));
    };
    const request: WorkerRequest = { type: 'run', inputs, settings, evalSettings };
    worker.postMessage(request);
  });
}

async function run(): Promise<void> {
  runButton.disabled = true;
  cancelButton.disabled = false;
  result.dataset.state = 'running';
  result.textContent = '{}';
  $('results').hidden = true;
  $('warnings').replaceChildren();
  progress.value = 0;
  statusLine.textContent = 'Starting…';
  try {
    const inputs = await gatherInputs();
    const settings = settingsFromForm();
    const evalWindows = integer('eval-windows', 'Perplexity windows');
    await backendReady;
    const r = await runOnWorker(inputs, settings, { seqlen: EVAL_SEQLEN, maxWindows: evalWindows });
    showBackend(r.backend);
    showResults(r);
    result.textContent = JSON.stringify({
      backend: r.backend.name,
      densePpl: r.densePpl.ppl,
      prunedPpl: r.prunedPpl.ppl,
      sparsity: r.manifest.sparsity.overTargets.ratio,
    });
    result.dataset.state = 'done';
    statusLine.textContent = `Done: perplexity ${fmt(r.densePpl.ppl, 5)} dense → ${fmt(r.prunedPpl.ppl, 5)} pruned.`;
  } catch (err) {
    const cancelled = (err as Error)?.name === 'AbortError';
    const message = cancelled ? 'Cancelled.' : ((err as Error)?.message ?? String(err));
    statusLine.textContent = cancelled ? 'Cancelled: nothing was kept.' : `Error: ${message}`;
    result.textContent = message;
    result.dataset.state = cancelled ? 'cancelled' : 'error';
  } finally {
    runButton.disabled = false;
    cancelButton.disabled = true;
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void run();
});
cancelButton.addEventListener('click', () => cancelRun?.());

startWorker();
if (params.get('autorun') === '1') void run();
