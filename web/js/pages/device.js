// device.js - one device: what it reports it can do (ML Capabilities,
// object 32101), its tags, the models that fit it, its install history and
// its inference results over time (ML Inference, object 32102) as a plot.
import { api, apiOptional, enc } from '../api.js';
import { h, clear, badge, when, table, empty, errorState, loading, pageHead, bytes, ms } from '../dom.js';
import { timeChart } from '../charts.js';

// An inference's output as numbers: the API gives the device's text
// ("0.0039,0.9,..." from /32102/0/2; numbers or a JSON array accepted too).
export function parseOutput(out) {
  if (Array.isArray(out)) return out.map(Number);
  if (typeof out !== 'string' || !out.trim()) return [];
  return out.replace(/^\s*\[|\]\s*$/g, '').split(/[\s,;]+/).filter(Boolean).map(Number);
}

// Inference results (GET /devices/{ep}/inferences, newest first) as plot
// points, oldest first: the output scores as out[i] (at most 12 classes)
// and, separately, the latency in ms and the top class.
export function inferencePoints(results) {
  return results.filter((r) => r.at).map((r) => {
    const scores = {};
    const out = parseOutput(r.output);
    if (out.length <= 12) out.forEach((v, i) => { if (Number.isFinite(v)) scores[`out[${i}]`] = v; });
    const latency = r.latency_us !== undefined && r.latency_us !== null ? { 'latency ms': r.latency_us / 1000 } : {};
    return { t: r.at, values: scores, latency, top: r.top_class };
  }).sort((a, b) => new Date(a.t) - new Date(b.t));
}

// Install history from the deployments that included the device (the API
// has no per-device history of its own): the newest `limit` deployments.
async function installHistory(ep, signal, limit = 20) {
  const list = await apiOptional('deployments', { signal });
  if (!list) return null;
  const recent = (list.deployments || []).slice().sort((a, b) => b.id - a.id).slice(0, limit);
  const full = await Promise.all(recent.map((d) => api(`deployments/${d.id}`, { signal })));
  return full.flatMap((d) => (d.devices || []).filter((x) => x.endpoint === ep).map((x) => ({ ...x, deployment: d.id, model: d.model, version: d.version, deployment_state: d.state })));
}

function capabilities(caps) {
  if (!caps || typeof caps !== 'object' || !Object.keys(caps).length) {
    return empty('No capabilities reported', 'The device reports them (ML Capabilities, object 32101) when it registers.');
  }
  const fmt = (k, v) => {
    if (Array.isArray(v)) return v.length > 12 ? `${v.slice(0, 12).join(', ')} … (${v.length})` : v.join(', ') || '—';
    if (typeof v === 'number' && /ram|flash|bytes/i.test(k)) return `${bytes(v)} (${v})`;
    if (typeof v === 'object' && v) return JSON.stringify(v);
    return String(v);
  };
  return h('dl.kv', Object.entries(caps).map(([k, v]) => [h('dt', k.replace(/_/g, ' ')), h('dd', fmt(k, v))]));
}

export async function render(ctx) {
  const [ep] = ctx.params;
  const { main } = ctx;
  main.append(loading('Loading the device'));
  let d;
  try {
    d = await api(`devices/${enc(ep)}`, { signal: ctx.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    clear(main).append(pageHead(ep, null, [['Fleet', '#/fleet']]), errorState(e, () => location.reload()));
    return;
  }
  const [compat, installs, inferences] = await Promise.all([
    apiOptional(`devices/${enc(ep)}/compatible-models`, { signal: ctx.signal }).catch((e) => ({ error: e })),
    installHistory(ep, ctx.signal).catch((e) => ({ error: e })),
    apiOptional(`devices/${enc(ep)}/inferences?limit=200`, { signal: ctx.signal }).catch((e) => ({ error: e })),
  ]);
  if (!ctx.alive()) return;
  clear(main);
  main.append(pageHead(d.endpoint, `${d.profile} · ${d.installed_model ? `running ${d.installed_model}` : 'no model installed'}`,
    [['Fleet', '#/fleet']], [badge(d.state)]));

  main.append(h('div.grid',
    h('section.card', { 'aria-labelledby': 'dev-h' },
      h('h2#dev-h', 'Device'),
      h('dl.kv',
        h('dt', 'Endpoint'), h('dd.mono', d.endpoint),
        h('dt', 'Profile'), h('dd', d.profile),
        h('dt', 'State'), h('dd', badge(d.state)),
        h('dt', 'Installed model'), h('dd', d.installed_model || '—'),
        h('dt', 'Last seen'), h('dd', when(d.last_seen)),
        h('dt', 'Last inference'), h('dd', when(d.last_inference_at)),
        h('dt', 'Registered'), h('dd', when(d.created_at)),
        h('dt', 'PSK identity'), h('dd', d.psk_identity || '—'),
        h('dt', 'Tags'), h('dd', d.tags?.length ? d.tags.map((t) => h('span.tag', t)) : '—'))),
    h('section.card', { 'aria-labelledby': 'cap-h' }, h('h2#cap-h', 'Capabilities'), capabilities(d.capabilities))));

  // Inference results over time.
  const infCard = h('section.card', { 'aria-labelledby': 'inf-h' }, h('h2#inf-h', 'Inference results'));
  main.append(infCard);
  const results = inferences && !inferences.error ? (inferences.inferences || []) : null;
  if (inferences?.error) infCard.append(errorState(inferences.error));
  else if (results === null) infCard.append(empty('Not recorded by this server', 'This tmlaasd does not keep inference results yet.'));
  else if (!results.length) infCard.append(empty('No inference results yet', 'Results appear when the installed model runs and the device reports them (ML Inference, object 32102).'));
  else {
    const points = inferencePoints(results);
    const last = results[0];
    infCard.append(h('p.hint#inf-summary', `${points.length} result${points.length === 1 ? '' : 's'} shown, the newest ${when(last.at).textContent || ''}: `
      + `${[last.model, last.version].filter(Boolean).join(' ')}, top class ${last.top_class}`
      + `${last.latency_us !== undefined ? `, ${ms(last.latency_us / 1000)}` : ''}, inference #${last.count}.`));
    const scores = points.filter((p) => Object.keys(p.values).length);
    if (scores.length) {
      const chartEl = h('div.chart#inf-chart', { role: 'group', 'aria-roledescription': 'plot', 'aria-label': `Output scores over time, ${scores.length} points` });
      infCard.append(h('h3', 'Output scores'), chartEl);
      timeChart(chartEl, scores);
    }
    const lat = points.filter((p) => Object.keys(p.latency).length).map((p) => ({ t: p.t, values: p.latency }));
    if (lat.length) {
      const latEl = h('div.chart#lat-chart', { role: 'group', 'aria-roledescription': 'plot', 'aria-label': `Inference latency over time, ${lat.length} points` });
      infCard.append(h('h3', 'Latency'), latEl);
      timeChart(latEl, lat, 'ms');
    }
    const recent = results.slice(0, 10);
    infCard.append(h('details', h('summary', `Last ${recent.length} results as a table`),
      table([
        { label: 'Time', cell: (r) => when(r.at) },
        { label: 'Inference', num: true, cell: (r) => String(r.count ?? '—') },
        { label: 'Model', cell: (r) => [r.model, r.version].filter(Boolean).join(' ') || '—' },
        { label: 'Top class', num: true, cell: (r) => String(r.top_class ?? '—') },
        { label: 'Latency', num: true, cell: (r) => (r.latency_us !== undefined ? ms(r.latency_us / 1000) : '—') },
        { label: 'Output', cell: (r) => h('span.mono.wrap', parseOutput(r.output).map((v) => (Number.isFinite(v) ? +v.toFixed(3) : v)).join(', ')) },
      ], recent, { label: 'Recent inference results' })));
  }

  // Install history: this device in the deployments that included it.
  const instCard = h('section.card', { 'aria-labelledby': 'inst-h' }, h('h2#inst-h', 'Install history'));
  main.append(instCard);
  const hist = installs && !installs.error ? installs : null;
  if (installs?.error) instCard.append(errorState(installs.error));
  else if (hist === null) instCard.append(empty('Not recorded by this server', 'This tmlaasd has no deployments API.'));
  else if (!hist.length) instCard.append(empty('Nothing installed yet', 'Start a deployment that includes this device.'));
  else {
    instCard.append(h('div#inst-table', table([
      { label: 'When', cell: (r) => when(r.finished_at || r.started_at || null) },
      { label: 'Model', cell: (r) => `${r.model} ${r.version}` },
      { label: 'Deployment', cell: (r) => h('a', { href: `#/deployments/${r.deployment}` }, `#${r.deployment}`) },
      { label: 'Result', cell: (r) => badge(r.stage) },
      { label: 'Package', num: true, cell: (r) => (r.package ? bytes(r.package.bytes) : '—') },
      { label: 'Detail', cell: (r) => r.error || '' },
    ], hist, { label: 'Install history' })));
  }

  // Models that fit.
  const fitCard = h('section.card', { 'aria-labelledby': 'fit-h' }, h('h2#fit-h', 'Models for this device'));
  main.append(fitCard);
  if (compat?.error) fitCard.append(errorState(compat.error));
  else if (compat) {
    const fits = compat.models || compat.fits || [];
    const refused = compat.refused || compat.incompatible || [];
    if (!fits.length && !refused.length) fitCard.append(empty('The zoo is empty', h('a', { href: '#/models' }, 'Upload a model')));
    else {
      fitCard.append(table([
        { label: 'Model', cell: (m) => h('a', { href: `#/models/${enc(m.model)}/versions/${enc(m.version)}` }, `${m.model} ${m.version}`) },
        { label: 'Fits', cell: (m) => (m.reason ? badge('does not fit', 'bad') : badge('fits', 'ok')) },
        { label: 'RAM', num: true, cell: (m) => (m.ram_bytes !== undefined ? bytes(m.ram_bytes) : '—') },
        { label: 'Flash', num: true, cell: (m) => (m.flash_bytes !== undefined ? bytes(m.flash_bytes) : '—') },
        { label: 'Latency', num: true, cell: (m) => (m.latency_ms !== undefined ? ms(m.latency_ms) : '—') },
        { label: 'Package', num: true, cell: (m) => (m.artifact?.bytes !== undefined ? bytes(m.artifact.bytes) : '—') },
        { label: 'Transfer', num: true, cell: (m) => (m.transfer_s !== undefined ? `${m.transfer_s.toFixed(1)} s${m.link?.name ? ` (${m.link.name})` : ''}` : '—') },
        { label: 'Reason', cell: (m) => m.reason || '' },
      ], [...fits, ...refused], { label: 'Models for this device' }));
    }
  }
}
