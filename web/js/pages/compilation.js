// compilation.js - one compilation: its state (refreshed until the worker
// is done), the fit on its target, the backend chosen and why, the
// artifacts to download, and the full report with its plots.
import { api, enc } from '../api.js';
import { h, clear, when, errorState, loading, pageHead, bytes, badge, toast, ms, meter } from '../dom.js';
import { reportView } from './report-view.js';

async function download(url, name) {
  try {
    const blob = await api(url.replace(/^\/api\/v1\//, ''), { blob: true });
    const a = h('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) {
    toast(e.message, 'bad');
  }
}

function fitSummary(fit) {
  if (!fit) return null;
  return h('section.card', { 'aria-labelledby': 'tfit-h' },
    h('h2#tfit-h', `On ${fit.target} `, fit.fits ? badge('fits', 'ok') : badge('does not fit', 'bad')),
    h('div.row',
      h('div', h('div.hint', 'RAM'), meter(fit.ram_bytes, fit.ram_budget, `RAM on ${fit.target}`, fit.fits ? '' : 'bad'), h('div.hint', `${bytes(fit.ram_bytes)} of ${bytes(fit.ram_budget)} (arena ${bytes(fit.arena_bytes)})`)),
      h('div', h('div.hint', 'Flash'), meter(fit.flash_bytes, fit.flash_budget, `Flash on ${fit.target}`, fit.fits ? '' : 'bad'), h('div.hint', `${bytes(fit.flash_bytes)} of ${bytes(fit.flash_budget)} (package ${bytes(fit.package_bytes)})`)),
      h('div', h('div.hint', 'Estimated latency'), h('div.stat-v', ms(fit.latency_ms)))),
    fit.reason ? h('p.inline-error', fit.reason) : null);
}

export async function render(ctx) {
  const [id] = ctx.params;
  const { main } = ctx;
  main.append(loading('Loading the compilation'));
  let shown = null;
  await ctx.every(async () => {
    let c;
    try {
      c = await api(`compilations/${enc(id)}`, { signal: ctx.signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      clear(main).append(pageHead(`Compilation #${id}`, null, [['Compilations', '#/compilations']]), errorState(e, () => location.reload()));
      return false;
    }
    const finished = c.state === 'done' || c.state === 'failed';
    if (shown === c.state) return !finished;
    shown = c.state;
    clear(main);
    main.append(pageHead(`Compilation #${c.id}`, `${c.model} ${c.version} for ${c.target}${c.device ? ` (device ${c.device})` : ''}`,
      [['Compilations', '#/compilations'], [`${c.model} ${c.version}`, `#/models/${enc(c.model)}/versions/${enc(c.version)}`]],
      [badge(c.state), c.cache_hit ? badge('cached', 'info') : null]));
    if (!finished) {
      main.append(h('section.card', h('div.state', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), ` The compilation is ${c.state}; this page updates when it is done.`)));
      return true;
    }
    if (c.state === 'failed') {
      main.append(h('div.state.error', { role: 'alert' }, h('div.big', 'The compilation failed'), h('p', c.error || 'no reason given')));
    }
    const arts = c.artifacts || [];
    main.append(h('div.grid',
      fitSummary(c.fit),
      h('section.card', { 'aria-labelledby': 'out-h' }, h('h2#out-h', 'Output'),
        h('dl.kv',
          h('dt', 'Backend'), h('dd', c.backend?.chosen ? badge(c.backend.chosen, 'info') : '—'),
          h('dt', 'Why'), h('dd', c.backend?.reason || '—'),
          h('dt', 'Started'), h('dd', when(c.started_at)),
          h('dt', 'Finished'), h('dd', when(c.finished_at))),
        arts.length ? h('h3', 'Artifacts') : null,
        h('div.actions', arts.map((a) => h('button', { type: 'button', onclick: () => download(a.url, `${c.model}-${c.version}-${c.target}${a.name === 'c' ? '-c.tar' : '.tmlm'}`) },
          `Download ${a.name === 'c' ? 'C sources' : 'package'} (${bytes(a.size)})`))))));
    if (c.report) main.append(...reportView(c.report, c.target));
    return false;
  }, 1000);
}
