// deployment-new.js - start a deployment (POST /deployments): which model
// version, which devices (all, a tag, a profile, or devices picked by
// endpoint), and the rollout strategy (canary share, batch size, failure
// threshold). "Preview plan" asks the server for the plan without storing
// anything (?dry_run=1): per device whether the model fits (or why not), the
// artifact size, CoAP blocks, transfer time and its batch.
import { api, enc } from '../api.js';
import { h, clear, fill, errorState, loading, pageHead, empty, badge, table, bytes, ms, count } from '../dom.js';
import { go } from '../main.js';

// The form's strategy fields (percentages, a count) as the API's strategy,
// or a message saying what is wrong.
export function parseStrategy({ canary, batch, threshold }) {
  const c = Number(canary);
  const b = Number(batch);
  const t = Number(threshold);
  if (!(String(canary).trim() !== '' && c >= 0 && c <= 100)) return 'The canary share is a percentage from 0 to 100.';
  if (!(Number.isInteger(b) && b >= 1)) return 'The batch size is a whole number of devices, at least 1.';
  if (!(String(threshold).trim() !== '' && t >= 0 && t <= 100)) return 'The failure threshold is a percentage from 0 to 100.';
  return { canary_share: c / 100, batch_size: b, failure_threshold: t / 100 };
}

// The batches the server will make for n devices that fit (the same rule as
// server/api/deployments.c): the canary share first, at least one device
// when the share is not 0, then batch_size at a time.
export function batchSizes(n, s) {
  let canary = s.canary_share > 0 ? Math.ceil(s.canary_share * n) : 0;
  canary = Math.min(canary, n);
  const out = canary ? [canary] : [];
  for (let left = n - canary; left > 0; left -= s.batch_size) out.push(Math.min(s.batch_size, left));
  return out;
}

function seconds(s) {
  if (s === undefined || s === null) return '—';
  return s < 1 ? ms(s * 1000) : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

export function planTable(plan) {
  return table([
    { label: 'Device', cell: (p) => h('a', { href: `#/devices/${enc(p.endpoint)}` }, p.endpoint) },
    { label: 'Profile', cell: (p) => p.profile },
    { label: 'Fits', cell: (p) => (p.fits ? badge('fits', 'ok') : badge('refused', 'bad')) },
    { label: 'Batch', num: true, cell: (p) => (p.batch === null || p.batch === undefined ? '—' : String(p.batch + 1)) },
    { label: 'Package', num: true, cell: (p) => (p.artifact?.bytes !== undefined ? `${p.artifact.size_exact ? '' : '≈ '}${bytes(p.artifact.bytes)}` : '—') },
    { label: 'Blocks', num: true, cell: (p) => (p.coap_blocks !== undefined ? count(p.coap_blocks) : '—') },
    { label: 'Transfer', num: true, cell: (p) => (p.transfer_s !== undefined ? `${seconds(p.transfer_s)}${p.link?.name ? ` (${p.link.name})` : ''}` : '—') },
    { label: 'Reason', cell: (p) => p.reason || '' },
  ], plan, { label: 'Plan per device' });
}

export async function render(ctx) {
  const { main } = ctx;
  main.append(pageHead('New deployment', 'Install a model version over the air: a canary first, then in batches.', [['Deployments', '#/deployments']]));
  const body = h('div', loading('Loading models and devices'));
  main.append(body);
  let versions = [];
  let devices = [];
  try {
    const models = (await api('models', { signal: ctx.signal })).models || [];
    const lists = await Promise.all(models.map((m) => api(`models/${enc(m.name)}`, { signal: ctx.signal })));
    versions = lists.flatMap((l) => (l.versions || []).filter((v) => !v.report_error).map((v) => ({ model: l.name, version: v.version })));
    devices = (await api('devices', { signal: ctx.signal })).devices || [];
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    fill(body, errorState(e, () => location.reload()));
    return;
  }
  clear(body);
  if (!versions.length) {
    body.append(h('section.card', empty('Nothing to deploy', 'Upload a model to the zoo first.', h('p', h('a', { href: '#/models' }, 'Go to the model zoo')))));
    return;
  }
  if (!devices.length) {
    body.append(h('section.card', empty('No devices', 'Devices appear when they register over LwM2M.', h('p', h('a', { href: '#/fleet' }, 'Go to the fleet')))));
    return;
  }
  devices.sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  const tags = [...new Set(devices.flatMap((d) => d.tags || []))].sort();
  const profiles = [...new Set(devices.map((d) => d.profile))].sort();
  const model = h('select#dep-model', { required: true }, versions.map((v) => h('option', { value: `${v.model}@${v.version}` }, `${v.model} ${v.version}`)));
  const scope = h('select#dep-scope', [
    h('option', { value: 'all' }, `All devices (${devices.length})`),
    tags.length ? h('option', { value: 'tag' }, 'Devices with a tag') : null,
    h('option', { value: 'profile' }, 'Devices of a profile'),
    h('option', { value: 'endpoints' }, 'Devices I pick'),
  ]);
  const value = h('select#dep-value');
  const valueField = h('div.field', { hidden: true }, h('label', { for: 'dep-value' }, 'Which'), value);
  const picks = devices.map((d) => h('label.pick', h('input', { type: 'checkbox', value: d.endpoint, checked: true }), ' ', h('span.mono', d.endpoint), h('span.muted', ` ${d.profile}${d.state === 'online' ? '' : ' (offline)'}`)));
  const pickField = h('fieldset.picks#dep-picks', { hidden: true }, h('legend', 'Devices'), picks);
  const num = (id, val, attrs = {}) => h(`input#${id}`, { type: 'number', value: String(val), inputmode: 'decimal', autocomplete: 'off', ...attrs });
  const canary = num('dep-canary', 10, { min: '0', max: '100', step: 'any' });
  const batch = num('dep-batch', 10, { min: '1', step: '1', inputmode: 'numeric' });
  const threshold = num('dep-threshold', 20, { min: '0', max: '100', step: 'any' });
  const preview = h('p#dep-strategy-hint.hint', { 'aria-live': 'polite' });
  const err = h('div.inline-error', { role: 'alert', hidden: true });
  const planOut = h('div#dep-plan');
  const submit = h('button.primary', { type: 'submit' }, 'Start deployment');
  const dry = h('button#dep-dry', { type: 'button' }, 'Preview plan');

  function selected() {
    if (scope.value === 'tag') return devices.filter((d) => (d.tags || []).includes(value.value));
    if (scope.value === 'profile') return devices.filter((d) => d.profile === value.value);
    if (scope.value === 'endpoints') {
      const on = new Set(picks.map((p) => p.querySelector('input')).filter((i) => i.checked).map((i) => i.value));
      return devices.filter((d) => on.has(d.endpoint));
    }
    return devices;
  }
  function selector() {
    if (scope.value === 'tag') return { tag: value.value };
    if (scope.value === 'profile') return { profile: value.value };
    if (scope.value === 'endpoints') return { endpoints: selected().map((d) => d.endpoint) };
    return { all: true };
  }
  const strategy = () => parseStrategy({ canary: canary.value, batch: batch.value, threshold: threshold.value });
  function refresh() {
    const n = selected().length;
    const s = strategy();
    if (typeof s === 'string') {
      preview.textContent = s;
      return;
    }
    const sizes = batchSizes(n, s);
    preview.textContent = `${n} device${n === 1 ? '' : 's'} selected. If every one fits: ${sizes.length} batch${sizes.length === 1 ? '' : 'es'} of ${sizes.join(', ')}`
      + `${s.canary_share > 0 ? ' (the first is the canary)' : ''}. A batch starts when the one before has nothing in flight;`
      + ` the rollout pauses by itself when more than ${Math.round(s.failure_threshold * 100)} % of the finished devices failed.`;
    clear(planOut);
  }
  scope.addEventListener('change', () => {
    const opts = scope.value === 'tag' ? tags : scope.value === 'profile' ? profiles : [];
    fill(value, opts.map((o) => h('option', { value: o }, o)));
    valueField.hidden = !opts.length;
    pickField.hidden = scope.value !== 'endpoints';
    refresh();
  });
  for (const el of [value, model]) el.addEventListener('change', refresh);
  for (const el of [canary, batch, threshold]) el.addEventListener('input', refresh);
  pickField.addEventListener('change', refresh);
  refresh();

  // The request, or null after showing what is wrong.
  function request() {
    err.hidden = true;
    const s = strategy();
    if (typeof s === 'string') {
      err.textContent = s;
      err.hidden = false;
      return null;
    }
    if (!selected().length) {
      err.textContent = 'No device matches this choice.';
      err.hidden = false;
      return null;
    }
    const [m, v] = model.value.split('@');
    return { model: m, version: v, selector: selector(), strategy: s };
  }
  function showPlan(res) {
    const sum = res.summary;
    fill(planOut, h('h3', 'Plan'),
      sum ? h('p.hint', `${sum.fit} of ${sum.devices} devices fit${sum.refused ? `, ${sum.refused} refused` : ''}; ${sum.batches} batch${sum.batches === 1 ? '' : 'es'}, ${bytes(sum.bytes)} to send, about ${seconds(sum.transfer_s_total)} of transfer in all.`) : null,
      planTable(res.plan || []));
  }
  dry.addEventListener('click', async () => {
    const req = request();
    if (!req) return;
    dry.disabled = true;
    try {
      showPlan(await api('deployments?dry_run=1', { method: 'POST', body: req, signal: ctx.signal }));
    } catch (e) {
      if (e.name === 'AbortError') return;
      err.textContent = e.message;
      err.hidden = false;
      if (e.body?.plan) showPlan(e.body);
    } finally {
      dry.disabled = false;
    }
  });

  const form = h('form', {
    'aria-labelledby': 'dep-h',
    async onsubmit(ev) {
      ev.preventDefault();
      const req = request();
      if (!req) return;
      submit.disabled = true;
      try {
        const d = await api('deployments', { method: 'POST', body: req });
        go(`/deployments/${enc(d.id)}`);
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
        if (e.body?.plan) showPlan(e.body);
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2#dep-h', 'What and where'),
  h('div.row',
    h('div.field', h('label', { for: 'dep-model' }, 'Model version'), model),
    h('div.field', h('label', { for: 'dep-scope' }, 'Devices'), scope),
    valueField),
  pickField,
  h('h2', 'Strategy'),
  h('div.row',
    h('div.field', h('label', { for: 'dep-canary' }, 'Canary share ', h('span.hint', '(% of devices)')), canary),
    h('div.field', h('label', { for: 'dep-batch' }, 'Batch size ', h('span.hint', '(devices)')), batch),
    h('div.field', h('label', { for: 'dep-threshold' }, 'Failure threshold ', h('span.hint', '(% failed that pauses)')), threshold)),
  preview,
  err,
  h('div.actions', submit, dry, h('a.button', { href: '#/deployments' }, 'Cancel')),
  planOut);
  body.append(h('section.card', form));
  model.focus();
}
