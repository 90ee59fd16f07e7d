// version.js - one model version: its metadata, the inspect report the
// server made on upload, and "compile for a target" (POST compilations),
// which opens the compilation's report page.
import { api, enc } from '../api.js';
import { h, clear, when, errorState, loading, pageHead, bytes, empty, toast } from '../dom.js';
import { reportView } from './report-view.js';
import { go } from '../main.js';

function compileForm(v, targets) {
  const fitting = new Set((v.report?.targets || []).filter((t) => t.fits).map((t) => t.target));
  const select = h('select#target', targets.map((t) => h('option', { value: t.name }, `${t.name} — ${t.part}${v.report && !fitting.has(t.name) ? ' (does not fit)' : ''}`)));
  const first = targets.find((t) => fitting.has(t.name));
  if (first) select.value = first.name;
  const err = h('div.inline-error', { role: 'alert', hidden: true });
  const submit = h('button.primary', { type: 'submit' }, 'Compile');
  return h('form', {
    'aria-labelledby': 'cmp-h',
    async onsubmit(ev) {
      ev.preventDefault();
      err.hidden = true;
      submit.disabled = true;
      try {
        const c = await api('compilations', { method: 'POST', body: { model: v.model, version: v.version, target: select.value } });
        if (c.cached) toast(`Compiled before: compilation #${c.id}`);
        go(`/compilations/${c.id}`);
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2#cmp-h', 'Compile for a target'),
  h('div.field', h('label', { for: 'target' }, 'Target profile'), select),
  err,
  h('div.actions', submit));
}

export async function render(ctx) {
  const [name, version] = ctx.params;
  const { main } = ctx;
  main.append(loading('Loading the version'));
  let v, targets;
  try {
    [v, targets] = await Promise.all([
      api(`models/${enc(name)}/versions/${enc(version)}`, { signal: ctx.signal }),
      api('targets', { signal: ctx.signal }).then((r) => r.targets || []),
    ]);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    clear(main).append(pageHead(`${name} ${version}`, null, [['Model zoo', '#/models'], [name, `#/models/${enc(name)}`]]), errorState(e, () => location.reload()));
    return;
  }
  const download = h('button', {
    type: 'button',
    async onclick() {
      try {
        const blob = await api(`models/${enc(name)}/versions/${enc(version)}/blob`, { blob: true });
        const a = h('a', { href: URL.createObjectURL(blob), download: `${name}-${version}.${v.format}` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      } catch (e) {
        toast(e.message, 'bad');
      }
    },
  }, 'Download');
  const meta = v.metadata || {};
  clear(main).append(pageHead(`${v.model} ${v.version}`, `${v.format.toUpperCase()} · ${bytes(v.size)} · uploaded`, [['Model zoo', '#/models'], [name, `#/models/${enc(name)}`]], [download]));
  main.querySelector('.sub').append(' ', when(v.created_at));
  main.append(h('div.grid',
    h('section.card', { 'aria-labelledby': 'meta-h' }, h('h2#meta-h', 'Version'),
      h('dl.kv',
        h('dt', 'Task'), h('dd', meta.task || '—'),
        h('dt', 'Labels'), h('dd', Array.isArray(meta.labels) && meta.labels.length ? meta.labels.join(', ') : '—'),
        h('dt', 'Description'), h('dd', meta.description || '—'),
        h('dt', 'SHA-256'), h('dd.mono', v.sha256),
        ...Object.entries(meta).filter(([k]) => !['task', 'labels', 'description'].includes(k)).flatMap(([k, val]) => [h('dt', k), h('dd', typeof val === 'object' ? JSON.stringify(val) : String(val))]))),
    h('section.card', compileForm(v, targets))));
  if (v.report_error || !v.report) {
    main.append(h('section.card', empty('No inspect report', v.report_error || 'The compiler could not take this model.')));
    return;
  }
  main.append(h('h2', 'Inspect report'), ...reportView(v.report));
}
