// report-view.js - the compile report (tml/report.h) as cards: key figures,
// per-layer MACs and RAM as a plot, the arena over the kernel calls with
// the tensors that live in it, and the fit on every target profile. Used
// by a model version's page (the inspect report) and a compilation's page.
import { h, table, bytes, count, ms, shape, badge, meter } from '../dom.js';
import { layerChart, arenaChart, callsToOps, shortName } from '../charts.js';

function stat(k, v, title) {
  return h('div.stat', { title: title || null }, h('div.k', k), h('div.v', v));
}

export function figures(r) {
  const saved = r.dead_channels?.removed ? ` (−${count(r.dead_channels.macs_saved)} by dead channels)` : '';
  return h('div.stats', { role: 'group', 'aria-label': 'Key figures' },
    stat('Arena (RAM)', bytes(r.arena_bytes), `${r.arena_bytes} bytes; ${bytes(r.arena_bytes_unplanned)} if every tensor had its own buffer`),
    stat('Weights (flash)', bytes(r.weights_bytes), `${r.weights_bytes} bytes`),
    stat('Package', bytes(r.package_bytes), `${r.package_bytes} bytes`),
    stat('MACs', count(r.macs_executed ?? r.macs), `${r.macs_executed ?? r.macs} multiply-accumulates per inference${saved}`),
    stat('Parameters', count(r.params)),
    stat('Layers / kernel calls', `${r.ops?.length ?? '—'} / ${r.kernel_calls ?? '—'}`));
}

function layersCard(r) {
  const ops = r.ops || [];
  const chartEl = h('div.chart#layer-chart', { role: 'group', 'aria-roledescription': 'plot', 'aria-label': `MACs and live arena bytes for each of the ${ops.length} layers; the same numbers are in the table below` });
  const readout = h('p.live-list', { 'aria-live': 'polite' }, 'Point at a layer, or focus the plot and use the arrow keys, to see its details.');
  const rows = table([
    { label: '#', num: true, cell: (o) => String(o.index) },
    { label: 'Op', cell: (o) => o.op },
    { label: 'Kernels', cell: (o) => h('span.mono', (o.kernels || []).join(', ')) },
    { label: 'Output', cell: (o) => `${shape(o.output_shape)} ${o.output_dtype || ''}` },
    { label: 'MACs', num: true, cell: (o) => count(o.macs) },
    { label: 'RAM live', num: true, cell: (o) => bytes(o.arena_live_bytes) },
    { label: 'Name', cls: 'ellipsis', cell: (o) => h('span', { title: o.name }, o.name) },
  ], ops, { label: 'Layers' });
  const card = h('section.card', { 'aria-labelledby': 'layers-h' },
    h('h2#layers-h', 'Per layer: MACs and RAM'),
    chartEl, readout,
    h('details', h('summary', `All ${ops.length} layers as a table`), rows));
  requestAnimationFrame(() => {
    if (!ops.length || !chartEl.isConnected) return;
    layerChart(chartEl, ops, (i) => {
      const o = ops[i];
      if (o) readout.textContent = `Layer ${o.index}: ${o.op} → ${shape(o.output_shape)}, ${count(o.macs)} MACs, ${bytes(o.arena_live_bytes)} live. ${shortName(o.name)}`;
    });
  });
  return card;
}

function arenaCard(r) {
  const tensors = r.arena_tensors || [];
  const calls = callsToOps(r);
  const chartEl = h('div.chart#arena-chart', { role: 'group', 'aria-roledescription': 'plot', 'aria-label': `Arena use over ${r.arena_timeline?.length ?? 0} kernel calls, peak ${bytes(r.arena_bytes)}` });
  const readout = h('p.live-list', { 'aria-live': 'polite' }, `Point at a kernel call, or focus the plot and use the arrow keys, to ${tensors.length ? 'list the tensors live in the arena' : 'see the bytes live then'}.`);
  const card = h('section.card', { 'aria-labelledby': 'arena-h' },
    h('h2#arena-h', 'Arena timeline'),
    h('p.chart-note', tensors.length
      ? `Each band is a tensor: its height is where it sits in the ${bytes(r.arena_bytes)} arena, its width the kernel calls it is live for. The line is the total live bytes. Planner: ${r.planner || '—'}.`
      : `Bytes live in the arena at each kernel call (peak ${bytes(r.arena_bytes)}; ${bytes(r.arena_bytes_unplanned)} without sharing). Planner: ${r.planner || '—'}.`),
    chartEl, readout);
  if (tensors.length) {
    card.append(h('details', h('summary', `The ${tensors.length} arena tensors as a table`), table([
      { label: 'Tensor', cls: 'ellipsis', cell: (t) => h('span', { title: t.name }, shortName(t.name)) },
      { label: 'Offset', num: true, cell: (t) => String(t.offset) },
      { label: 'Bytes', num: true, cell: (t) => bytes(t.bytes) },
      { label: 'Live (kernel calls)', num: true, cell: (t) => `${t.first}–${t.last}` },
    ], tensors, { label: 'Arena tensors' })));
  }
  requestAnimationFrame(() => {
    if (!r.arena_timeline?.length || !chartEl.isConnected) return;
    arenaChart(chartEl, r, (k) => {
      if (k === null || k === undefined || k >= r.arena_timeline.length) return;
      const op = calls[k];
      const live = tensors.filter((t) => k >= t.first && k <= t.last).map((t) => `${shortName(t.name)} at ${t.offset} (${bytes(t.bytes)})`);
      readout.textContent = `Call ${k}${op ? ` (layer ${op.index} ${op.op})` : ''}: ${bytes(r.arena_timeline[k])} live${live.length ? ' — ' + live.join(', ') : ''}`;
    });
  });
  return card;
}

export function fitTable(targets, highlight) {
  return table([
    { label: 'Target', cell: (t) => (t.target === highlight ? h('strong', t.target) : t.target) },
    { label: 'Core', cell: (t) => t.core },
    { label: 'Fits', cell: (t) => (t.fits ? badge('fits', 'ok') : badge('does not fit', 'bad')) },
    { label: 'RAM', cell: (t) => h('div', { title: `${t.ram_bytes} of ${t.ram_budget} bytes` }, meter(t.ram_bytes, t.ram_budget, `RAM on ${t.target}`, t.ram_bytes > t.ram_budget ? 'bad' : ''), h('span.hint', `${bytes(t.ram_bytes)} of ${bytes(t.ram_budget)}`)) },
    { label: 'Flash', cell: (t) => h('div', { title: `${t.flash_bytes} of ${t.flash_budget} bytes` }, meter(t.flash_bytes, t.flash_budget, `Flash on ${t.target}`, t.flash_bytes > t.flash_budget ? 'bad' : ''), h('span.hint', `${bytes(t.flash_bytes)} of ${bytes(t.flash_budget)}`)) },
    { label: 'Latency', num: true, cell: (t) => ms(t.latency_ms) },
    { label: 'Reason', cell: (t) => t.reason || '' },
  ], targets, { label: 'Fit per target profile', rowAttrs: (t) => (t.target === highlight ? { class: 'selected' } : {}) });
}

function fitCard(r, highlight) {
  const targets = r.targets || [];
  const n = targets.filter((t) => t.fits).length;
  return h('section.card', { 'aria-labelledby': 'fit-h' },
    h('h2#fit-h', `Fit per target profile (${n} of ${targets.length})`),
    h('p.chart-note', 'RAM is the arena plus runtime state; flash the package. Latency is estimated from measured kernel cycles.'),
    fitTable(targets, highlight));
}

function ioCard(r) {
  const rows = [...(r.inputs || []).map((t) => ({ ...t, dir: 'input' })), ...(r.outputs || []).map((t) => ({ ...t, dir: 'output' }))];
  return h('section.card', { 'aria-labelledby': 'io-h' }, h('h2#io-h', 'Inputs and outputs'), table([
    { label: '', cell: (t) => badge(t.dir, t.dir === 'input' ? 'info' : '') },
    { label: 'Name', cls: 'ellipsis', cell: (t) => h('span', { title: t.name }, t.name) },
    { label: 'Type', cell: (t) => `${t.dtype} ${shape(t.shape)}` },
    { label: 'Quantization', cell: (t) => (t.scale !== undefined ? `scale ${Number(t.scale).toPrecision(4)}, zero point ${t.zero_point}` : '—') },
  ], rows, { label: 'Inputs and outputs' }));
}

// The whole report; highlight names the target to mark in the fit table.
export function reportView(r, highlight) {
  return [figures(r), layersCard(r), arenaCard(r), fitCard(r, highlight), ioCard(r)];
}

