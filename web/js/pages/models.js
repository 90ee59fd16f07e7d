// models.js - the model zoo: every model with its versions, and the upload
// form (multipart POST /api/v1/models, the same call `tml models upload`
// makes). An upload is compiled once on the server, so the new version
// opens with its inspect data.
import { api, enc } from '../api.js';
import { h, clear, when, table, empty, errorState, loading, pageHead, toast } from '../dom.js';
import { go } from '../main.js';

export function uploadForm(opts = {}) {
  const err = h('div.inline-error', { role: 'alert', hidden: true });
  const file = h('input#up-file', { type: 'file', name: 'file', accept: '.tflite,.onnx', required: true });
  const name = h('input#up-name', { type: 'text', name: 'name', required: true, pattern: '[A-Za-z0-9_:][A-Za-z0-9._:\\-]{0,126}', value: opts.name || '', autocomplete: 'off' });
  const version = h('input#up-version', { type: 'text', name: 'version', required: true, pattern: '[A-Za-z0-9_:][A-Za-z0-9._:\\-]{0,62}', value: opts.version || '1', autocomplete: 'off' });
  const task = h('input#up-task', { type: 'text', name: 'task', placeholder: 'keyword-spotting', autocomplete: 'off' });
  const labels = h('input#up-labels', { type: 'text', name: 'labels', placeholder: 'yes,no,up,down', autocomplete: 'off' });
  const description = h('input#up-description', { type: 'text', name: 'description', autocomplete: 'off' });
  const submit = h('button.primary', { type: 'submit' }, 'Upload');
  const status = h('span.muted', { role: 'status' });
  if (opts.name) name.readOnly = true;

  file.addEventListener('change', () => {
    const f = file.files[0];
    if (f && !name.value) name.value = f.name.replace(/\.(tflite|onnx)$/i, '').replace(/[^A-Za-z0-9._:-]/g, '_').replace(/^[.-]+/, '');
  });

  const form = h('form', {
    'aria-labelledby': 'up-h',
    async onsubmit(ev) {
      ev.preventDefault();
      err.hidden = true;
      if (!form.reportValidity()) return;
      const fd = new FormData();
      fd.append('file', file.files[0], file.files[0].name);
      fd.append('name', name.value.trim());
      fd.append('version', version.value.trim());
      for (const [k, el] of [['task', task], ['labels', labels], ['description', description]]) if (el.value.trim()) fd.append(k, el.value.trim());
      submit.disabled = true;
      clear(status).append(h('span.spinner', { 'aria-hidden': 'true' }), ' Uploading and inspecting…');
      try {
        const v = await api('models', { method: 'POST', body: fd });
        toast(`Uploaded ${v.model} ${v.version}`);
        go(`/models/${enc(v.model)}/versions/${enc(v.version)}`);
      } catch (e) {
        err.textContent = e.status ? `${e.message} (HTTP ${e.status})` : e.message;
        err.hidden = false;
        status.textContent = '';
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2#up-h', opts.name ? 'Upload a new version' : 'Upload a model'),
  h('div.field', h('label', { for: 'up-file' }, 'Model file ', h('span.hint', '(TFLite or ONNX)')), file),
  h('div.row',
    h('div.field', h('label', { for: 'up-name' }, 'Name'), name),
    h('div.field', h('label', { for: 'up-version' }, 'Version'), version)),
  h('div.row',
    h('div.field', h('label', { for: 'up-task' }, 'Task ', h('span.hint', '(optional)')), task),
    h('div.field', h('label', { for: 'up-labels' }, 'Labels ', h('span.hint', '(comma separated, optional)')), labels)),
  h('div.field', h('label', { for: 'up-description' }, 'Description ', h('span.hint', '(optional)')), description),
  err,
  h('div.actions', submit, status));
  return form;
}

export async function render(ctx) {
  const { main } = ctx;
  const list = h('div', loading('Loading the zoo'));
  main.append(pageHead('Model zoo', 'Trained models, each version inspected for every target on upload.'),
    h('div.grid',
      h('section.card', { 'aria-labelledby': 'zoo-h' }, h('h2#zoo-h', 'Models'), list),
      h('section.card', uploadForm())));
  async function load() {
    clear(list).append(loading('Loading the zoo'));
    let res;
    try {
      res = await api('models', { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      clear(list).append(errorState(e, load));
      return;
    }
    clear(list);
    const models = res.models || [];
    if (!models.length) {
      list.append(empty('The zoo is empty', 'Upload a TFLite or ONNX model with the form.'));
      return;
    }
    list.append(table([
      { label: 'Model', cell: (m) => h('a', { href: `#/models/${enc(m.name)}` }, m.name) },
      { label: 'Versions', num: true, cell: (m) => String(m.versions) },
      { label: 'Latest', cell: (m) => h('a', { href: `#/models/${enc(m.name)}/versions/${enc(m.latest_version)}` }, m.latest_version) },
      { label: 'Created', cell: (m) => when(m.created_at) },
    ], models, { label: 'Models' }));
  }
  await load();
}
