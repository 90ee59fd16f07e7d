// model.js - one model of the zoo: its versions with their key figures,
// and the form for the next version.
import { api, enc } from '../api.js';
import { h, clear, when, table, empty, errorState, loading, pageHead, bytes, count, badge, toast } from '../dom.js';
import { uploadForm } from './models.js';
import { go } from '../main.js';

export async function render(ctx) {
  const [name] = ctx.params;
  const { main } = ctx;
  main.append(loading('Loading the model'));
  let res;
  try {
    res = await api(`models/${enc(name)}`, { signal: ctx.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    clear(main).append(pageHead(name, null, [['Model zoo', '#/models']]), errorState(e, () => location.reload()));
    return;
  }
  const versions = res.versions || [];
  const del = h('button.danger', {
    type: 'button',
    async onclick() {
      if (!confirm(`Delete the model ${name} and all its ${versions.length} version(s)?`)) return;
      try {
        await api(`models/${enc(name)}`, { method: 'DELETE' });
        toast(`Deleted ${name}`);
        go('/models');
      } catch (e) {
        toast(e.message, 'bad');
      }
    },
  }, 'Delete model');
  clear(main).append(pageHead(name, `${versions.length} version${versions.length === 1 ? '' : 's'}`, [['Model zoo', '#/models']], [del]));
  const next = versions.length ? String((parseInt(versions[versions.length - 1].version, 10) || versions.length) + 1) : '1';
  main.append(h('div.grid',
    h('section.card', { 'aria-labelledby': 'ver-h' }, h('h2#ver-h', 'Versions'),
      versions.length ? table([
        { label: 'Version', cell: (v) => h('a', { href: `#/models/${enc(name)}/versions/${enc(v.version)}` }, v.version) },
        { label: 'Format', cell: (v) => v.format },
        { label: 'Size', num: true, cell: (v) => bytes(v.size) },
        { label: 'Arena', num: true, cell: (v) => (v.report_error ? badge('not compiled', 'warn') : bytes(v.summary?.arena_bytes)) },
        { label: 'Weights', num: true, cell: (v) => bytes(v.summary?.weights_bytes) },
        { label: 'MACs', num: true, cell: (v) => count(v.summary?.macs) },
        { label: 'Task', cell: (v) => v.metadata?.task || '—' },
        { label: 'Uploaded', cell: (v) => when(v.created_at) },
      ], versions, { label: 'Versions' }) : empty('No versions', 'Upload one with the form.')),
    h('section.card', uploadForm({ name, version: next }))));
}
