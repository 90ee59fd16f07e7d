// deployment.js - one deployment, live: overall progress, each stage with
// its progress bar, every device's install state, and the pause / resume /
// cancel buttons. The page polls every second until the deployment ends;
// the skeleton (and so the focus on a button) stays while numbers change.
import { api, enc } from '../api.js';
import { h, clear, fill, when, table, errorState, loading, pageHead, badge, meter, toast } from '../dom.js';

const DONE = ['installed', 'done', 'succeeded', 'success', 'completed', 'active'];
const FAILED = ['failed', 'error', 'rolled_back', 'refused'];
const FINAL = ['done', 'completed', 'succeeded', 'failed', 'cancelled', 'canceled'];

// {done, failed, total} from whatever the deployment reports: explicit
// counts when present, else counted from its devices.
export function deviceCounts(d) {
  const p = d.progress || d.counts || {};
  const devs = d.devices || [];
  const total = p.total ?? d.devices_total ?? d.total ?? devs.length;
  const done = p.done ?? p.installed ?? p.succeeded ?? d.devices_done ?? devs.filter((x) => DONE.includes(x.state)).length;
  const failed = p.failed ?? d.devices_failed ?? devs.filter((x) => FAILED.includes(x.state)).length;
  return { done, failed, total };
}

function stageCounts(s, d, i) {
  if (s.total !== undefined || s.devices_total !== undefined) {
    return { done: s.done ?? s.installed ?? s.devices_done ?? 0, failed: s.failed ?? s.devices_failed ?? 0, total: s.total ?? s.devices_total };
  }
  const devs = (d.devices || []).filter((x) => (x.stage ?? x.stage_index) === (s.index ?? i));
  return { done: devs.filter((x) => DONE.includes(x.state)).length, failed: devs.filter((x) => FAILED.includes(x.state)).length, total: devs.length };
}

export async function render(ctx) {
  const [id] = ctx.params;
  const { main } = ctx;
  main.append(loading('Loading the deployment'));
  const overall = h('div#dep-overall');
  const stages = h('div.stages#dep-stages');
  const devices = h('div#dep-devices-wrap');
  const info = h('dl.kv');
  const status = h('span.muted', { role: 'status' });
  const buttons = {};
  let skeleton = false;
  let current = null;

  async function act(verb) {
    Object.values(buttons).forEach((b) => (b.disabled = true));
    try {
      current = await api(`deployments/${enc(id)}/${verb}`, { method: 'POST' });
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
        h('div.grid',
          h('section.card', { 'aria-labelledby': 'prog-h' }, h('h2#prog-h', 'Progress'), overall),
          h('section.card', { 'aria-labelledby': 'dinfo-h' }, h('h2#dinfo-h', 'Deployment'), info)),
        h('section.card', { 'aria-labelledby': 'stages-h' }, h('h2#stages-h', 'Stages'), stages),
        h('section.card', { 'aria-labelledby': 'devs-h' }, h('h2#devs-h', 'Devices'), devices));
    }
    const c = deviceCounts(d);
    const final = FINAL.includes(d.state);
    fill(status, badge(d.state));
    buttons.pause.disabled = final || d.state === 'paused';
    buttons.resume.disabled = d.state !== 'paused';
    buttons.cancel.disabled = final;
    fill(overall, 
      h('div.meter-big', meter(c.done, c.total, 'Devices updated', c.failed ? 'bad' : d.state === 'done' || d.state === 'completed' ? 'ok' : '')),
      h('p.hint', `${c.done} of ${c.total} devices updated${c.failed ? `, ${c.failed} failed` : ''}.`));
    overall.querySelector('.bar')?.classList.add('big');
    fill(info, 
      h('dt', 'Model'), h('dd', h('a', { href: `#/models/${enc(d.model)}/versions/${enc(d.version)}` }, `${d.model} ${d.version}`)),
      h('dt', 'Devices'), h('dd', d.selector ? JSON.stringify(d.selector) : d.tag ? `tag ${d.tag}` : d.profile ? `profile ${d.profile}` : `${c.total}`),
      h('dt', 'State'), h('dd', badge(d.state)),
      h('dt', 'Created'), h('dd', when(d.created_at)),
      h('dt', 'Updated'), h('dd', when(d.updated_at || d.finished_at || null)),
      d.error ? [h('dt', 'Error'), h('dd', d.error)] : null);
    fill(stages, (d.stages || []).map((s, i) => {
      const sc = stageCounts(s, d, i);
      const share = s.percent ?? s.target_percent ?? s.size;
      return h('div.stage',
        h('div.title', h('strong', `Stage ${i + 1}${share !== undefined ? ` · ${share}${s.percent !== undefined || s.target_percent !== undefined ? ' %' : ' devices'}` : ''}`), badge(s.state || 'pending')),
        meter(sc.done, sc.total, `Stage ${i + 1}`, sc.failed ? 'bad' : ''),
        h('p.hint', `${sc.done} of ${sc.total} updated${sc.failed ? `, ${sc.failed} failed` : ''}`));
    }));
    if (!(d.stages || []).length) stages.append(h('p.muted', 'One stage: every device at once.'));
    const devs = d.devices || [];
    fill(devices, devs.length ? h('div#dep-devices', table([
      { label: 'Device', cell: (x) => h('a', { href: `#/devices/${enc(x.endpoint)}` }, x.endpoint) },
      { label: 'Stage', num: true, cell: (x) => String((x.stage ?? x.stage_index ?? 0) + 1) },
      { label: 'State', cell: (x) => badge(x.state) },
      { label: 'Detail', cell: (x) => x.error || x.reason || x.detail || '' },
      { label: 'Updated', cell: (x) => when(x.updated_at || null) },
    ], devs, { label: 'Devices of the deployment' })) : h('p.muted#dep-devices', 'No devices selected.'));
    return !final;
  }

  async function tick() {
    try {
      current = await api(`deployments/${enc(id)}`, { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      if (!skeleton) {
        fill(main, pageHead(`Deployment #${id}`, null, [['Deployments', '#/deployments']]), errorState(e, () => location.reload()));
        return false;
      }
      toast(`Refreshing failed: ${e.message}`, 'bad');
      return true;
    }
    return ctx.alive() && update(current);
  }
  await ctx.every(tick, 1000);
}
