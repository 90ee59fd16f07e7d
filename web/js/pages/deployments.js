// deployments.js - every deployment of the tenant with its state and
// progress; refreshes while any is still rolling out.
import { api, enc } from '../api.js';
import { h, clear, when, table, empty, errorState, loading, pageHead, badge, meter } from '../dom.js';
import { deviceCounts } from './deployment.js';

export async function render(ctx) {
  const { main } = ctx;
  const list = h('div', loading('Loading deployments'));
  main.append(pageHead('Deployments', 'A model version installed over the air on a set of devices, in stages.', [],
    [h('a.button.primary', { href: '#/deployments/new' }, 'New deployment')]), h('section.card', list));
  await ctx.every(async () => {
    let res;
    try {
      res = await api('deployments', { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      clear(list).append(e.status === 404
        ? empty('Deployments are not available', 'This tmlaasd has no deployments API yet.')
        : errorState(e, () => location.reload()));
      return false;
    }
    const ds = (res.deployments || []).slice().sort((a, b) => Number(b.id) - Number(a.id));
    clear(list);
    if (!ds.length) {
      list.append(empty('No deployments yet', 'Install a model on devices with a staged rollout.', h('p', h('a.button', { href: '#/deployments/new' }, 'New deployment'))));
      return false;
    }
    list.append(table([
      { label: 'Id', cell: (d) => h('a', { href: `#/deployments/${enc(d.id)}` }, `#${d.id}`) },
      { label: 'Model', cell: (d) => `${d.model} ${d.version}` },
      { label: 'State', cell: (d) => badge(d.state) },
      { label: 'Progress', cell: (d) => { const c = deviceCounts(d); return meter(c.done, c.total, `Deployment ${d.id}`, c.failed ? 'bad' : d.state === 'done' ? 'ok' : ''); } },
      { label: 'Devices', num: true, cell: (d) => { const c = deviceCounts(d); return `${c.done} / ${c.total}${c.failed ? ` (${c.failed} failed)` : ''}${c.refused ? ` (+${c.refused} refused)` : ''}`; } },
      { label: 'Batch', num: true, cell: (d) => (d.batches ? `${Math.min(d.current_batch + 1, d.batches)} of ${d.batches}` : '—') },
      { label: 'Note', cell: (d) => d.reason || '' },
      { label: 'Created', cell: (d) => when(d.created_at) },
    ], ds, { label: 'Deployments' }));
    return ds.some((d) => !['done', 'cancelled'].includes(d.state));
  }, 2000);
}
