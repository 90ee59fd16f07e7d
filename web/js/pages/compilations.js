// compilations.js - every compilation of the tenant, newest first, with
// its state; queued and running ones refresh until they finish.
import { api, enc } from '../api.js';
import { h, clear, when, table, empty, errorState, loading, pageHead, badge, bytes } from '../dom.js';

export async function render(ctx) {
  const { main } = ctx;
  const list = h('div', loading('Loading compilations'));
  main.append(pageHead('Compilations', 'A model version compiled for one target profile: the package, the C sources and the report.'),
    h('section.card', list));
  await ctx.every(async () => {
    let res;
    try {
      res = await api('compilations', { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      clear(list).append(errorState(e, () => location.reload()));
      return false;
    }
    const cs = (res.compilations || []).slice().sort((a, b) => b.id - a.id);
    clear(list);
    if (!cs.length) {
      list.append(empty('No compilations yet', 'Open a model version in the zoo and compile it for a target.', h('p', h('a', { href: '#/models' }, 'Go to the model zoo'))));
      return false;
    }
    list.append(table([
      { label: 'Id', cell: (c) => h('a', { href: `#/compilations/${c.id}` }, `#${c.id}`) },
      { label: 'Model', cell: (c) => h('a', { href: `#/models/${enc(c.model)}/versions/${enc(c.version)}` }, `${c.model} ${c.version}`) },
      { label: 'Target', cell: (c) => c.target + (c.device ? ` (${c.device})` : '') },
      { label: 'State', cell: (c) => badge(c.state) },
      { label: 'Fits', cell: (c) => (c.fit ? (c.fit.fits ? badge('fits', 'ok') : badge('does not fit', 'bad')) : '—') },
      { label: 'Package', num: true, cell: (c) => bytes(c.artifacts?.find((a) => a.name === 'package')?.size) },
      { label: 'Created', cell: (c) => when(c.created_at) },
    ], cs, { label: 'Compilations' }));
    return cs.some((c) => c.state === 'queued' || c.state === 'running');
  }, 2000);
}
