// fleet.js - every device of the tenant: profile, online state, installed
// model, last inference; filtered by state and profile, searched by text.
// The list refreshes every 5 s so online state follows the devices.
import { api } from '../api.js';
import { h, clear, badge, when, table, empty, errorState, loading, pageHead } from '../dom.js';

export async function render(ctx) {
  const { main, query } = ctx;
  const search = h('input#q', { type: 'search', placeholder: 'endpoint, model, tag…', value: query.get('q') || '', autocomplete: 'off' });
  const state = h('select#state', [h('option', { value: '' }, 'Any'), h('option', { value: 'online' }, 'Online'), h('option', { value: 'offline' }, 'Offline')]);
  const profile = h('select#profile', h('option', { value: '' }, 'Any'));
  state.value = query.get('state') || '';
  const counter = h('span.count', { 'aria-live': 'polite' });
  const list = h('div', loading('Loading devices'));
  const summary = h('div.stats');
  main.append(
    pageHead('Fleet', 'Devices registered over LwM2M, or created ahead of their first registration.'),
    summary,
    h('div.card',
      h('div.filters', { role: 'search', 'aria-label': 'Filter devices' },
        h('div.field.grow', h('label', { for: 'q' }, 'Search'), search),
        h('div.field', h('label', { for: 'state' }, 'State'), state),
        h('div.field', h('label', { for: 'profile' }, 'Profile'), profile),
        counter),
      list));

  let devices = null;
  let failed = null;
  const profiles = new Set();

  function matches(d, q) {
    if (!q) return true;
    const hay = [d.endpoint, d.profile, d.installed_model, ...(d.tags || [])].filter(Boolean).join(' ').toLowerCase();
    return q.split(/\s+/).every((w) => hay.includes(w));
  }

  function show() {
    clear(list);
    if (failed) {
      list.append(errorState(failed, () => refresh()));
      return;
    }
    if (!devices) return;
    if (!devices.length) {
      counter.textContent = '';
      list.append(empty('No devices yet',
        'Devices appear here when they register with the LwM2M server (try tml-sim for simulated ones), or when you create one with POST /api/v1/devices.'));
      return;
    }
    const q = search.value.trim().toLowerCase();
    const shown = devices.filter((d) => (!state.value || d.state === state.value) && (!profile.value || d.profile === profile.value) && matches(d, q));
    counter.textContent = `${shown.length} of ${devices.length} device${devices.length === 1 ? '' : 's'}`;
    if (!shown.length) {
      list.append(empty('No device matches', 'Change the search or the filters.',
        h('button', { type: 'button', onclick: () => { search.value = ''; state.value = ''; profile.value = ''; sync(); } }, 'Clear filters')));
      return;
    }
    list.append(table([
      { label: 'Endpoint', cell: (d) => h('a', { href: `#/devices/${encodeURIComponent(d.endpoint)}` }, d.endpoint) },
      { label: 'Profile', cell: (d) => d.profile },
      { label: 'State', cell: (d) => badge(d.state) },
      { label: 'Installed model', cell: (d) => d.installed_model || h('span.muted', 'none') },
      { label: 'Last inference', cell: (d) => when(d.last_inference_at) },
      { label: 'Last seen', cell: (d) => when(d.last_seen) },
      { label: 'Tags', cell: (d) => (d.tags?.length ? h('span', d.tags.map((t) => h('span.tag', t))) : h('span.muted', '—')) },
    ], shown, { label: 'Devices' }));
  }

  function showSummary() {
    clear(summary);
    if (!devices) return;
    const online = devices.filter((d) => d.state === 'online').length;
    const withModel = devices.filter((d) => d.installed_model).length;
    const stat = (k, v) => h('div.stat', h('div.k', k), h('div.v', String(v)));
    summary.append(stat('Devices', devices.length), stat('Online', online), stat('Offline', devices.length - online),
      stat('With a model', withModel), stat('Profiles', profiles.size));
  }

  // Keeps the filters in the URL so a reload or a shared link shows the same list.
  function sync() {
    const qs = new URLSearchParams();
    if (search.value) qs.set('q', search.value);
    if (state.value) qs.set('state', state.value);
    if (profile.value) qs.set('profile', profile.value);
    history.replaceState(null, '', `#/fleet${qs.toString() ? '?' + qs : ''}`);
    show();
  }
  search.addEventListener('input', sync);
  state.addEventListener('change', sync);
  profile.addEventListener('change', sync);

  async function refresh() {
    try {
      const res = await api('devices', { signal: ctx.signal });
      devices = res.devices || [];
      failed = null;
      for (const d of devices) {
        if (!profiles.has(d.profile)) {
          profiles.add(d.profile);
          profile.append(h('option', { value: d.profile }, d.profile));
        }
      }
      if (query.get('profile') && profiles.has(query.get('profile'))) profile.value = query.get('profile');
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      failed = e;
    }
    if (!ctx.alive()) return false;
    // Keep the user's focus and scroll while the list refreshes.
    const focused = document.activeElement;
    show();
    showSummary();
    if (focused && !focused.isConnected && focused.tagName === 'A') {
      const again = [...list.querySelectorAll('a')].find((a) => a.getAttribute('href') === focused.getAttribute('href'));
      again?.focus();
    }
    return true;
  }
  await ctx.every(refresh, 5000);
}
