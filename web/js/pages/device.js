// device.js - one device: what it reports it can do (ML Capabilities,
// object 32101), its tags, the models that fit it, its install history and
// its inference results over time (ML Inference, object 32102) as a plot.
import { api, apiOptional, enc } from '../api.js';
import { h, clear, badge, when, table, empty, errorState, loading, pageHead, bytes, ms } from '../dom.js';
import { timeChart } from '../charts.js';

const TIME_KEYS = ['t', 'time', 'at', 'received_at', 'created_at', 'timestamp'];

// Inference results as plot points: the numeric fields of each result
// (latency, top class, score, ...) and its output vector as out[i].
export function inferencePoints(results) {
  return results.map((r) => {
    const t = TIME_KEYS.map((k) => r[k]).find(Boolean);
    const values = {};
    for (const [k, v] of Object.entries(r)) {
      if (typeof v === 'number' && !TIME_KEYS.includes(k) && k !== 'id' && k !== 'count' && k !== 'inference_count') values[k] = v;
    }
    const out = r.output || r.outputs || r.last_output;
    if (Array.isArray(out) && out.length <= 12) out.forEach((v, i) => { if (typeof v === 'number') values[`out[${i}]`] = v; });
    return { t, values };
  }).filter((p) => p.t).sort((a, b) => new Date(a.t) - new Date(b.t));
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
    apiOptional(`devices/${enc(ep)}/installs`, { signal: ctx.signal }).catch((e) => ({ error: e })),
    apiOptional(`devices/${enc(ep)}/inferences`, { signal: ctx.signal }).catch((e) => ({ error: e })),
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
  const results = inferences && !inferences.error ? (inferences.inferences || inferences.results || inferences.items || []) : null;
  if (inferences?.error) infCard.append(errorState(inferences.error));
  else if (results === null) infCard.append(empty('Not recorded by this server', 'This tmlaasd does not keep inference results yet.'));
  else if (!results.length) infCard.append(empty('No inference results yet', 'Results appear when the installed model runs and the device reports them.'));
  else {
    const points = inferencePoints(results);
    const chartEl = h('div.chart', { role: 'group', 'aria-roledescription': 'plot', 'aria-label': `Inference results over time, ${points.length} points` });
    infCard.append(chartEl);
    timeChart(chartEl, points);
    const recent = results.slice(-10).reverse();
    infCard.append(h('details', h('summary', `Last ${recent.length} results as a table`),
      table([
        { label: 'Time', cell: (r) => when(TIME_KEYS.map((k) => r[k]).find(Boolean)) },
        { label: 'Model', cell: (r) => [r.model, r.version].filter(Boolean).join(' ') || '—' },
        { label: 'Top class', cell: (r) => String(r.top_class ?? r.label ?? '—') },
        { label: 'Latency', num: true, cell: (r) => (r.latency_ms !== undefined ? ms(r.latency_ms) : r.latency_us !== undefined ? ms(r.latency_us / 1000) : '—') },
        { label: 'Output', cell: (r) => h('span.mono', JSON.stringify(r.output ?? r.outputs ?? r.last_output ?? null)) },
      ], recent, { label: 'Recent inference results' })));
  }

  // Install history.
  const instCard = h('section.card', { 'aria-labelledby': 'inst-h' }, h('h2#inst-h', 'Install history'));
  main.append(instCard);
  const hist = installs && !installs.error ? (installs.installs || installs.history || installs.items || []) : null;
  if (installs?.error) instCard.append(errorState(installs.error));
  else if (hist === null) instCard.append(empty('Not recorded by this server', 'This tmlaasd does not keep install history yet.'));
  else if (!hist.length) instCard.append(empty('Nothing installed yet', 'Start a deployment that includes this device.'));
  else {
    instCard.append(table([
      { label: 'When', cell: (r) => when(r.finished_at || r.updated_at || r.created_at || r.at) },
      { label: 'Model', cell: (r) => [r.model, r.version].filter(Boolean).join(' ') || r.installed_model || '—' },
      { label: 'Deployment', cell: (r) => (r.deployment ?? r.deployment_id ? h('a', { href: `#/deployments/${r.deployment ?? r.deployment_id}` }, `#${r.deployment ?? r.deployment_id}`) : '—') },
      { label: 'Result', cell: (r) => badge(r.state || r.result || '—') },
      { label: 'Detail', cell: (r) => r.error || r.reason || '' },
    ], hist, { label: 'Install history' }));
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
        { label: 'Reason', cell: (m) => m.reason || '' },
      ], [...fits, ...refused], { label: 'Models for this device' }));
    }
  }
}
