// deployment-new.js - start a deployment: which model version, which
// devices (all, a tag, or a profile), and the stages of the rollout as
// cumulative percentages of the devices ("10,50,100").
import { api, enc } from '../api.js';
import { h, clear, fill, errorState, loading, pageHead, empty } from '../dom.js';
import { go } from '../main.js';

// "10, 50,100" -> [10, 50, 100], or a message saying what is wrong.
export function parseStages(text) {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) return 'Give at least one stage, e.g. 100.';
  const vals = parts.map(Number);
  if (vals.some((v) => !Number.isInteger(v) || v < 1 || v > 100)) return 'Each stage is a whole percentage from 1 to 100.';
  if (vals.some((v, i) => i && v <= vals[i - 1])) return 'Stages must grow: each covers more devices than the one before.';
  if (vals[vals.length - 1] !== 100) return 'The last stage must be 100 (every device).';
  return vals;
}

export async function render(ctx) {
  const { main } = ctx;
  main.append(pageHead('New deployment', 'Install a model version over the air, a stage at a time.', [['Deployments', '#/deployments']]));
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
  const tags = [...new Set(devices.flatMap((d) => d.tags || []))].sort();
  const profiles = [...new Set(devices.map((d) => d.profile))].sort();
  const model = h('select#dep-model', { required: true }, versions.map((v) => h('option', { value: `${v.model}@${v.version}` }, `${v.model} ${v.version}`)));
  const scope = h('select#dep-scope', [
    h('option', { value: 'all' }, `All devices (${devices.length})`),
    tags.length ? h('option', { value: 'tag' }, 'Devices with a tag') : null,
    h('option', { value: 'profile' }, 'Devices of a profile'),
  ]);
  const value = h('select#dep-value');
  const valueField = h('div.field', { hidden: true }, h('label', { for: 'dep-value' }, 'Which'), value);
  const stages = h('input#dep-stages', { type: 'text', value: '25,100', inputmode: 'numeric', 'aria-describedby': 'dep-stages-hint', autocomplete: 'off' });
  const preview = h('p#dep-stages-hint.hint');
  const err = h('div.inline-error', { role: 'alert', hidden: true });
  const submit = h('button.primary', { type: 'submit' }, 'Start deployment');

  function selected() {
    if (scope.value === 'tag') return devices.filter((d) => (d.tags || []).includes(value.value));
    if (scope.value === 'profile') return devices.filter((d) => d.profile === value.value);
    return devices;
  }
  function refresh() {
    const n = selected().length;
    const st = parseStages(stages.value);
    preview.textContent = typeof st === 'string' ? st
      : `Cumulative percentages of the ${n} device${n === 1 ? '' : 's'}: ${st.map((p, i) => `stage ${i + 1} up to ${Math.ceil((n * p) / 100)}`).join(', ')}. A stage starts when the one before has finished.`;
  }
  scope.addEventListener('change', () => {
    const opts = scope.value === 'tag' ? tags : scope.value === 'profile' ? profiles : [];
    fill(value, opts.map((o) => h('option', { value: o }, o)));
    valueField.hidden = !opts.length;
    refresh();
  });
  value.addEventListener('change', refresh);
  stages.addEventListener('input', refresh);
  refresh();

  const form = h('form', {
    'aria-labelledby': 'dep-h',
    async onsubmit(ev) {
      ev.preventDefault();
      err.hidden = true;
      const st = parseStages(stages.value);
      if (typeof st === 'string') {
        err.textContent = st;
        err.hidden = false;
        stages.focus();
        return;
      }
      if (!selected().length) {
        err.textContent = 'No device matches this choice.';
        err.hidden = false;
        return;
      }
      const [m, v] = model.value.split('@');
      const req = { model: m, version: v, stages: st };
      if (scope.value === 'tag') req.tag = value.value;
      if (scope.value === 'profile') req.profile = value.value;
      submit.disabled = true;
      try {
        const d = await api('deployments', { method: 'POST', body: req });
        go(`/deployments/${enc(d.id)}`);
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
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
  h('div.field', h('label', { for: 'dep-stages' }, 'Stages ', h('span.hint', '(cumulative %, comma separated)')), stages, preview),
  err,
  h('div.actions', submit, h('a.button', { href: '#/deployments' }, 'Cancel')));
  body.append(h('section.card', form));
  model.focus();
}
