// deployment.js - one deployment (GET /deployments/{id}), live: overall
// progress, a progress bar per rollout step (package ready, downloaded,
// installed, activated), one per batch (the canary first), every device's
// stage, and the pause / resume / cancel buttons. The page polls every
// second until the deployment ends; the skeleton (and so the focus on a
// button) stays and the bars are updated in place while the numbers change.
import { api, enc } from '../api.js';
import { h, fill, when, table, errorState, loading, pageHead, badge, badgeKind, pct, bytes, toast } from '../dom.js';

// A device's stages in order (server/fleet/rollout.c); then the ends.
export const PIPELINE = ['pending', 'compiling', 'ready', 'downloading', 'installing', 'activating', 'done'];
const FINAL = ['done', 'cancelled'];

// The rollout steps shown as bars: how many of the devices that fit have
// got at least this far.
const STEPS = [
  ['ready', 'Package compiled and signed'],
  ['downloading', 'Download started'],
  ['installing', 'Downloaded'],
  ['activating', 'Installed'],
  ['done', 'Activated'],
];

// {done, failed, total, percent} of a deployment: the server's progress
// (devices that fit are "eligible"; refused ones are not counted).
export function deviceCounts(d) {
  const p = d.progress || {};
  const st = d.stages || {};
  const total = p.eligible ?? p.devices ?? (d.devices || []).filter((x) => x.stage !== 'refused').length;
  const done = p.done ?? st.done ?? 0;
  return { done, failed: st.failed ?? 0, refused: st.refused ?? 0, cancelled: st.cancelled ?? 0, total, devices: p.devices ?? total };
}

// Per step, how many eligible devices reached it (failed and cancelled
// ones stopped somewhere, so they count for no step they cannot be
// placed at).
export function stepCounts(devs) {
  const rank = (s) => PIPELINE.indexOf(s);
  return STEPS.map(([stage, label]) => ({
    stage, label, reached: devs.filter((x) => rank(x.stage) >= rank(stage)).length,
  }));
}

// Batches: [{batch, total, done, failed, active}] from the devices.
export function batchCounts(devs) {
  const out = [];
  for (const x of devs) {
    if (x.stage === 'refused' || x.batch === null || x.batch === undefined) continue;
    const b = (out[x.batch] ??= { batch: x.batch, total: 0, done: 0, failed: 0, active: 0 });
    b.total++;
    if (x.stage === 'done') b.done++;
    else if (x.stage === 'failed' || x.stage === 'cancelled') b.failed++;
    else if (x.stage !== 'pending') b.active++;
  }
  return out.filter(Boolean);
}

// A progress bar whose value can be changed in place (the fill animates).
function liveMeter(label, big = false) {
  const fillEl = h('span');
  const bar = h(`div.bar${big ? '.big' : ''}`, { role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' }, fillEl);
  const pctEl = h('span.pct', '0%');
  const el = h('div.meter', bar, pctEl);
  el.set = (value, max, kind = '') => {
    const p = pct(value, max);
    fillEl.style.width = `${Math.min(100, p)}%`;
    bar.className = `bar${big ? ' big' : ''}${kind ? ` ${kind}` : ''}`;
    bar.setAttribute('aria-valuenow', String(p));
    bar.setAttribute('aria-valuetext', `${p}% (${value} of ${max})`);
    pctEl.textContent = `${p}%`;
  };
  return el;
}

function selectorText(sel) {
  if (!sel) return '—';
  if (sel.all) return 'all devices';
  if (sel.tag) return `tag ${sel.tag}`;
  if (sel.profile) return `profile ${sel.profile}`;
  if (sel.endpoints) return sel.endpoints.length > 4 ? `${sel.endpoints.slice(0, 4).join(', ')} … (${sel.endpoints.length})` : sel.endpoints.join(', ');
  return JSON.stringify(sel);
}

export async function render(ctx) {
  const [id] = ctx.params;
  const { main } = ctx;
  main.append(loading('Loading the deployment'));
  const overallMeter = liveMeter('Devices updated', true);
  const overallText = h('p.hint');
  const overall = h('div#dep-overall', h('div.meter-big', overallMeter), overallText);
  const stageCounts = h('p.stage-counts#dep-stage-counts');
  const steps = h('div.stages#dep-steps');
  const batches = h('div.stages#dep-batches');
  const devices = h('div#dep-devices-wrap');
  const info = h('dl.kv');
  const reason = h('div.inline-error#dep-reason', { role: 'status', hidden: true });
  const status = h('span', { role: 'status' });
  const buttons = {};
  const stepMeters = new Map();
  const batchEls = new Map();
  let skeleton = false;

  async function act(verb) {
    Object.values(buttons).forEach((b) => (b.disabled = true));
    try {
      await api(`deployments/${enc(id)}/${verb}`, { method: 'POST' });
      toast(`Deployment #${id}: ${verb} sent`);
    } catch (e) {
      toast(e.message, 'bad');
    }
    await tick();
  }
  for (const [verb, label, cls] of [['pause', 'Pause', ''], ['resume', 'Resume', ''], ['cancel', 'Cancel', 'danger']]) {
    buttons[verb] = h(`button${cls ? '.' + cls : ''}#dep-${verb}`, {
      type: 'button',
      onclick: () => (verb !== 'cancel' || confirm(`Cancel deployment #${id}? Devices already updated keep the new model.`)) && act(verb),
    }, label);
  }

  function update(d) {
    if (!skeleton) {
      skeleton = true;
      fill(main,
        pageHead(`Deployment #${d.id}`, `${d.model} ${d.version}`, [['Deployments', '#/deployments']], [status, buttons.pause, buttons.resume, buttons.cancel]),
        reason,
        h('div.grid',
          h('section.card', { 'aria-labelledby': 'prog-h' }, h('h2#prog-h', 'Progress'), overall, stageCounts),
          h('section.card', { 'aria-labelledby': 'dinfo-h' }, h('h2#dinfo-h', 'Deployment'), info)),
        h('div.grid',
          h('section.card', { 'aria-labelledby': 'steps-h' }, h('h2#steps-h', 'Stages'), steps),
          h('section.card', { 'aria-labelledby': 'batches-h' }, h('h2#batches-h', 'Batches'), batches)),
        h('section.card', { 'aria-labelledby': 'devs-h' }, h('h2#devs-h', 'Devices'), devices));
    }
    const c = deviceCounts(d);
    const devs = d.devices || [];
    const final = FINAL.includes(d.state);
    fill(status, badge(d.state));
    buttons.pause.disabled = d.state !== 'running';
    buttons.resume.disabled = d.state !== 'paused';
    buttons.cancel.disabled = !['running', 'paused'].includes(d.state);
    reason.hidden = !d.reason;
    reason.textContent = d.reason ? `${d.state === 'paused' ? 'Paused' : d.state === 'cancelled' || d.state === 'cancelling' ? 'Cancelled' : 'Note'}: ${d.reason}` : '';
    overallMeter.set(c.done, c.total, c.failed ? 'bad' : d.state === 'done' ? 'ok' : '');
    overallText.textContent = `${c.done} of ${c.total} devices updated`
      + `${c.failed ? `, ${c.failed} failed` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}`
      + `${c.refused ? `; ${c.refused} of ${c.devices} refused (the model does not fit them)` : ''}.`;
    const st = d.stages || {};
    fill(stageCounts, Object.keys(st).length ? [...PIPELINE, 'failed', 'refused', 'cancelled'].filter((s) => st[s]).map((s) => [badge(`${s} ${st[s]}`, badgeKind(s)), ' ']) : null);

    for (const s of stepCounts(devs.filter((x) => x.stage !== 'refused'))) {
      let m = stepMeters.get(s.stage);
      if (!m) {
        m = { meter: liveMeter(s.label), text: h('span.muted') };
        stepMeters.set(s.stage, m);
        steps.append(h('div.stage', { 'data-stage': s.stage }, h('div.title', h('strong', s.label), m.text), m.meter));
      }
      m.meter.set(s.reached, c.total, s.reached === c.total && c.total ? 'ok' : '');
      m.text.textContent = `${s.reached} of ${c.total}`;
    }

    const canary = (d.strategy?.canary_share ?? 0) > 0;
    for (const b of batchCounts(devs)) {
      let e = batchEls.get(b.batch);
      if (!e) {
        e = { meter: liveMeter(b.batch === 0 && canary ? 'Canary batch' : `Batch ${b.batch + 1}`), state: h('span'), text: h('p.hint') };
        batchEls.set(b.batch, e);
        batches.append(h('div.stage', { 'data-batch': String(b.batch) },
          h('div.title', h('strong', `Batch ${b.batch + 1}${b.batch === 0 && canary ? ' · canary' : ''}`), e.state), e.meter, e.text));
      }
      // Packages are compiled for every batch up front; a batch after the
      // current one waits for its turn to download.
      const later = b.batch > d.current_batch;
      const bstate = b.done + b.failed === b.total ? (b.failed ? 'failed' : 'done')
        : later ? 'waiting' : d.state === 'running' ? 'running' : d.state;
      fill(e.state, badge(bstate));
      e.meter.set(b.done, b.total, b.failed ? 'bad' : b.done === b.total ? 'ok' : '');
      e.text.textContent = `${b.done} of ${b.total} updated${b.active ? `, ${b.active} ${later ? 'being prepared' : 'in progress'}` : ''}${b.failed ? `, ${b.failed} failed or cancelled` : ''}`;
    }
    if (!batchEls.size && !batches.firstChild) batches.append(h('p.muted', 'No device fits this model.'));

    fill(info,
      h('dt', 'Model'), h('dd', h('a', { href: `#/models/${enc(d.model)}/versions/${enc(d.version)}` }, `${d.model} ${d.version}`)),
      h('dt', 'Devices'), h('dd', selectorText(d.selector)),
      h('dt', 'State'), h('dd', badge(d.state)),
      h('dt', 'Strategy'), h('dd', d.strategy ? `canary ${Math.round(d.strategy.canary_share * 100)} %, batches of ${d.strategy.batch_size}, pause above ${Math.round(d.strategy.failure_threshold * 100)} % failed` : '—'),
      h('dt', 'Batch'), h('dd', d.batches ? `${Math.min(d.current_batch + 1, d.batches)} of ${d.batches}` : '—'),
      h('dt', 'Created'), h('dd', when(d.created_at)),
      h('dt', 'Updated'), h('dd', when(d.updated_at || null)));

    const rows = devs.slice().sort((a, b) => (a.batch ?? 1e9) - (b.batch ?? 1e9) || a.endpoint.localeCompare(b.endpoint));
    fill(devices, rows.length ? h('div#dep-devices', table([
      { label: 'Device', cell: (x) => h('a', { href: `#/devices/${enc(x.endpoint)}` }, x.endpoint) },
      { label: 'Profile', cell: (x) => x.profile },
      { label: 'Batch', num: true, cell: (x) => (x.stage === 'refused' ? '—' : String(x.batch + 1)) },
      { label: 'Stage', cell: (x) => badge(x.stage) },
      { label: 'Package', num: true, cell: (x) => (x.package ? bytes(x.package.bytes) : '—') },
      { label: 'Compilation', cell: (x) => (x.compilation_id ? h('a', { href: `#/compilations/${x.compilation_id}` }, `#${x.compilation_id}`) : '—') },
      { label: 'Detail', cell: (x) => [x.error || '', x.attempts > 1 ? ` (attempt ${x.attempts})` : ''].join('') },
      { label: 'Finished', cell: (x) => when(x.finished_at || null) },
    ], rows, { label: 'Devices of the deployment', rowAttrs: (x) => ({ 'data-endpoint': x.endpoint, 'data-stage': x.stage }) })) : h('p.muted#dep-devices', 'No devices selected.'));
    return !final;
  }

  async function tick() {
    let d;
    try {
      d = await api(`deployments/${enc(id)}`, { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      if (!skeleton) {
        fill(main, pageHead(`Deployment #${id}`, null, [['Deployments', '#/deployments']]), errorState(e, () => location.reload()));
        return false;
      }
      toast(`Refreshing failed: ${e.message}`, 'bad');
      return true;
    }
    return ctx.alive() && update(d);
  }
  await ctx.every(tick, 1000);
}
