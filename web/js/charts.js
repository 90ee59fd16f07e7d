// charts.js - every plot on the dashboard, drawn by uPlot (served from
// node_modules by tmlaasd). Each function takes a container and data, sizes
// the chart to the container (and follows it when the window changes), and
// returns the uPlot instance. Every chart has a table or text next to it on
// its page with the same numbers, for keyboard and screen reader users.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { bytes, count } from './dom.js';

const palette = ['#1f6feb', '#e36209', '#1a7f37', '#8250df', '#bf3989', '#0a7ea4', '#9a6700', '#cf222e', '#57606a', '#116329'];
export const color = (i, alpha = 1) => {
  const c = palette[i % palette.length];
  if (alpha === 1) return c;
  const n = parseInt(c.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
};

const axisFont = '12px system-ui, "DejaVu Sans", sans-serif';
const axisBase = { font: axisFont, stroke: '#5b6775', grid: { stroke: '#eef1f4', width: 1 }, ticks: { stroke: '#dfe4ea', width: 1 } };

// Creates the chart at the container's width and keeps it there.
function mount(el, opts, data, height) {
  const width = () => Math.max(280, Math.floor(el.clientWidth || el.parentElement?.clientWidth || 600));
  const u = new uPlot({ ...opts, width: width(), height }, data, el);
  el.setAttribute('data-chart-ready', 'true');
  // Keyboard: focus the plot and step through its points with the arrows.
  el.tabIndex = 0;
  el.addEventListener('keydown', (ev) => {
    const n = data[0].length;
    const idx = u.cursor.idx ?? -1;
    const to = { ArrowRight: idx + 1, ArrowLeft: idx - 1, Home: 0, End: n - 1 }[ev.key];
    if (to === undefined || !n) return;
    ev.preventDefault();
    const i = Math.max(0, Math.min(n - 1, to));
    u.setCursor({ left: u.valToPos(data[0][i], 'x'), top: u.over.clientHeight / 2 });
  });
  if (typeof ResizeObserver !== 'undefined') {
    let last = width();
    const ro = new ResizeObserver(() => {
      if (!el.isConnected) return ro.disconnect();
      const w = width();
      if (w !== last) {
        last = w;
        u.setSize({ width: w, height });
      }
    });
    ro.observe(el);
  }
  return u;
}

// Byte axes tick at powers of two (4 KiB, 8 KiB, ...), count axes compactly.
const byteIncrs = Array.from({ length: 31 }, (_, i) => 2 ** i).flatMap((p) => [p, 3 * p]).sort((a, b) => a - b);
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const byteAxis = (scale, side, label) => ({
  ...axisBase, scale, side, label, labelFont: axisFont, size: 70, incrs: byteIncrs,
  values: (u, vals) => vals.map((v) => bytes(v)),
  grid: side === 1 ? { show: false } : axisBase.grid,
});

// Per-layer MACs (bars, left axis) and arena bytes live during the layer
// (line, right axis). ops are the report's ops[].
export function layerChart(el, ops, onPick) {
  const x = ops.map((o) => o.index);
  const macs = ops.map((o) => o.macs);
  const ram = ops.map((o) => o.arena_live_bytes);
  const opts = {
    class: 'layer-chart',
    cursor: { points: { size: 8 }, drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: false, range: (u, min, max) => [min - 0.6, max + 0.6] }, macs: { range: (u, min, max) => [0, max * 1.08 || 1] }, ram: { range: (u, min, max) => [0, max * 1.15 || 1] } },
    axes: [
      { ...axisBase, label: 'layer (op index)', labelFont: axisFont, values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? v : '')) },
      { ...axisBase, scale: 'macs', label: 'MACs', labelFont: axisFont, size: 60, values: (u, vals) => vals.map((v) => compact.format(v)) },
      byteAxis('ram', 1, 'arena live'),
    ],
    series: [
      { label: 'layer', value: (u, v) => (v === null ? '—' : `${v} ${ops[v]?.op ?? ''}`) },
      { label: 'MACs', scale: 'macs', stroke: color(0), fill: color(0, 0.55), paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false }, value: (u, v) => (v === null ? '—' : count(v)) },
      { label: 'RAM (arena live)', scale: 'ram', stroke: color(1), width: 2, points: { size: 5, fill: color(1) }, value: (u, v) => (v === null ? '—' : bytes(v)) },
    ],
    hooks: onPick ? { setCursor: [(u) => onPick(u.cursor.idx)] } : {},
  };
  return mount(el, opts, [x, macs, ram], 300);
}

// "functional_1/activation_2/Relu;functional_1/..." -> "activation_2/Relu".
export function shortName(name) {
  const parts = String(name || '').split(';')[0].split('/');
  return parts.slice(-2).join('/') || '(unnamed)';
}

// Which call of the kernel sequence belongs to which layer: calls[k] = op.
export function callsToOps(report) {
  const calls = [];
  for (const op of report.ops || []) for (let i = 0; i < Math.max(1, op.kernels?.length || 0); i++) calls.push(op);
  return calls;
}

// The arena over the kernel calls: total live bytes (line), and, when the
// report places tensors (arena_tensors[]: name, offset, bytes, first, last),
// each tensor as a band from its offset to offset+bytes over the calls it
// is live in, so the chart shows which tensor occupies which bytes when.
export function arenaChart(el, report, onPick) {
  const timeline = report.arena_timeline || [];
  const n = timeline.length;
  const x = Array.from({ length: n + 1 }, (_, i) => i);
  const live = [...timeline, timeline[n - 1] ?? 0];
  const tensors = report.arena_tensors || [];
  const data = [x, live];
  const series = [
    { label: 'kernel call', value: (u, v) => (v === null ? '—' : String(v)) },
    { label: 'live bytes', stroke: '#0f1b2d', width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false }, value: (u, v) => (v === null ? '—' : bytes(v)) },
  ];
  const bands = [];
  tensors.forEach((t, i) => {
    const inLife = (k) => k >= t.first && k <= t.last + 1;
    data.push(x.map((k) => (inLife(k) ? t.offset + t.bytes : null)));
    data.push(x.map((k) => (inLife(k) ? t.offset : null)));
    const common = { stroke: color(i), width: 1, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false }, spanGaps: false };
    series.push({ ...common, label: `${shortName(t.name)} top` });
    series.push({ ...common, label: `${shortName(t.name)} base` });
    bands.push({ series: [data.length - 2, data.length - 1], fill: color(i, 0.35) });
  });
  const peak = Math.max(report.arena_bytes || 0, ...timeline, ...tensors.map((t) => t.offset + t.bytes));
  const opts = {
    class: 'arena-chart',
    legend: { show: tensors.length === 0 },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: { x: { time: false }, y: { range: () => [0, peak * 1.05 || 1] } },
    axes: [
      { ...axisBase, label: 'kernel call', labelFont: axisFont, values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? v : '')) },
      byteAxis('y', 3, tensors.length ? 'arena offset' : 'live bytes'),
    ],
    series,
    bands,
    hooks: onPick ? { setCursor: [(u) => onPick(u.cursor.idx)] } : {},
  };
  return mount(el, opts, data, tensors.length ? 340 : 260);
}

// Values over time: points [{t: ISO string, values: {name: number}}].
export function timeChart(el, points, unit = '') {
  const names = [...new Set(points.flatMap((p) => Object.keys(p.values)))];
  const x = points.map((p) => new Date(p.t).getTime() / 1000);
  const data = [x, ...names.map((n) => points.map((p) => (p.values[n] ?? null)))];
  const opts = {
    class: 'time-chart',
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    axes: [{ ...axisBase }, { ...axisBase, size: 60, label: unit, labelFont: axisFont }],
    series: [{ label: 'time' }, ...names.map((n, i) => ({ label: n, stroke: color(i), width: 2, points: { size: 5, fill: color(i) }, spanGaps: true }))],
  };
  return mount(el, opts, data, 260);
}
