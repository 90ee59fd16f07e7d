// main.js - the dashboard shell: login, the hash router, and the life of a
// page. Each page is a module with render(ctx); ctx.signal aborts its
// fetches and ctx.every() its polling when the user navigates away, so a
// page never updates after it is gone.
import { api, clearToken, getToken, setToken, ApiError } from './api.js';
import { h, clear, toast } from './dom.js';

const routes = [
  [/^\/login$/, () => ({ render: renderLogin }), 'login'],
  [/^\/fleet$/, () => import('./pages/fleet.js'), 'fleet'],
  [/^\/devices\/([^/]+)$/, () => import('./pages/device.js'), 'fleet'],
  [/^\/models$/, () => import('./pages/models.js'), 'models'],
  [/^\/models\/([^/]+)$/, () => import('./pages/model.js'), 'models'],
  [/^\/models\/([^/]+)\/versions\/([^/]+)$/, () => import('./pages/version.js'), 'models'],
  [/^\/compilations$/, () => import('./pages/compilations.js'), 'compilations'],
  [/^\/compilations\/(\d+)$/, () => import('./pages/compilation.js'), 'compilations'],
  [/^\/deployments$/, () => import('./pages/deployments.js'), 'deployments'],
  [/^\/deployments\/new$/, () => import('./pages/deployment-new.js'), 'deployments'],
  [/^\/deployments\/([^/]+)$/, () => import('./pages/deployment.js'), 'deployments'],
];

const main = document.getElementById('main');
const header = document.querySelector('header.top');
let current = null; // {abort, timers}
let whoami = null;
let navigated = false; // whether a route change happened since the page loaded

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/fleet';
  const [path, qs] = raw.split('?');
  return { path, query: new URLSearchParams(qs || '') };
}

export function go(path) {
  location.hash = `#${path}`;
}

function leave() {
  if (!current) return;
  current.abort.abort();
  current.timers.forEach(clearTimeout);
  current = null;
}

async function route() {
  const { path, query } = parseHash();
  const token = getToken();
  if (!token && path !== '/login') {
    go(`/login?next=${encodeURIComponent(path)}`);
    return;
  }
  if (token && !whoami) {
    try {
      whoami = await api('whoami');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return; // the unauthorized handler logs out
      whoami = null;
    }
  }
  leave();
  const match = routes.map(([re, load, section]) => [path.match(re), load, section]).find(([m]) => m);
  header.hidden = path === '/login';
  header.classList.remove('open');
  document.querySelector('.menu-toggle').setAttribute('aria-expanded', 'false');
  document.getElementById('who').textContent = whoami
    ? `${whoami.token_name}${whoami.admin ? ' (admin)' : ''} · tenant ${whoami.tenant_id}` : '';
  const section = match ? match[2] : '';
  document.querySelectorAll('#nav a').forEach((a) => {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const abort = new AbortController();
  const page = { abort, timers: new Set() };
  current = page;
  const ctx = {
    main,
    query,
    signal: abort.signal,
    params: match ? match[0].slice(1).map(decodeURIComponent) : [],
    whoami,
    alive: () => current === page,
    // Calls fn now and then every ms until the page is left or fn returns false.
    every(fn, ms) {
      const tick = async () => {
        if (current !== page) return;
        let again = true;
        try {
          again = (await fn()) !== false;
        } catch (e) {
          if (e.name !== 'AbortError') console.warn('poll:', e.message);
        }
        if (again && current === page) {
          const t = setTimeout(tick, ms);
          page.timers.add(t);
        }
      };
      return tick();
    },
  };
  clear(main);
  if (!match) {
    main.append(h('div.state', h('div.big', 'No such page'), h('p', h('a', { href: '#/fleet' }, 'Go to the fleet'))));
    return;
  }
  try {
    const mod = await match[1]();
    if (current !== page) return;
    document.title = `TinyMLaaS · ${section ? section[0].toUpperCase() + section.slice(1) : 'Log in'}`;
    await mod.render(ctx);
  } catch (e) {
    if (e.name === 'AbortError' || current !== page) return;
    console.error(e);
    main.append(h('div.state.error', { role: 'alert' }, h('div.big', 'This page failed'), h('p', e.message)));
  }
  // After a navigation inside the app, the focus goes to the new page's
  // heading (screen readers announce it); a fresh load keeps the browser's
  // own start, so Tab reaches the skip link first.
  if (current === page && navigated && !main.contains(document.activeElement)) {
    const h1 = main.querySelector('h1');
    (h1 || main).focus({ preventScroll: true });
  }
}

// ---- login ----
function renderLogin(ctx) {
  const next = ctx.query.get('next') || '/fleet';
  const err = h('div.inline-error', { role: 'alert', hidden: true });
  const input = h('input#token', {
    type: 'password', name: 'token', autocomplete: 'current-password', required: true,
    spellcheck: 'false', placeholder: 'tml_…', 'aria-describedby': 'token-hint',
  });
  const remember = h('input#remember', { type: 'checkbox' });
  const submit = h('button.primary', { type: 'submit' }, 'Log in');
  const form = h('form', {
    async onsubmit(ev) {
      ev.preventDefault();
      const token = input.value.trim();
      err.hidden = true;
      if (!token) {
        err.textContent = 'Enter an API token.';
        err.hidden = false;
        input.focus();
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Checking…';
      try {
        whoami = await api('whoami', { token });
        setToken(token, remember.checked);
        go(next.startsWith('/') && next !== '/login' ? next : '/fleet');
      } catch (e) {
        err.textContent = e.status === 401 ? 'This token is not valid: the server refused it.' : e.message;
        err.hidden = false;
        input.select();
        input.focus();
      } finally {
        submit.disabled = false;
        submit.textContent = 'Log in';
      }
    },
  },
  h('div.field', h('label', { for: 'token' }, 'API token'), input,
    h('p#token-hint.hint', 'The token tmlaasd printed at its first start (the admin token), or one created with POST /api/v1/tokens.')),
  h('div.field', h('label.hint', { for: 'remember' }, remember, ' Remember on this computer')),
  err,
  submit);
  ctx.main.append(h('div.login.card',
    h('div.brand-big', h('span.logo', { 'aria-hidden': 'true' }), 'TinyMLaaS'),
    h('h1', { tabindex: '-1' }, 'Log in'),
    h('p.sub', 'Compile neural networks for microcontrollers and install them over the air.'),
    form));
  input.focus();
}

function logout() {
  clearToken();
  whoami = null;
  go('/login');
}

window.addEventListener('tml:unauthorized', () => {
  if (!getToken()) return;
  clearToken();
  whoami = null;
  toast('Your token was refused; please log in again.', 'bad');
  go(`/login?next=${encodeURIComponent(parseHash().path)}`);
});
document.getElementById('logout').addEventListener('click', logout);
document.querySelector('.menu-toggle').addEventListener('click', (ev) => {
  const open = header.classList.toggle('open');
  ev.currentTarget.setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', () => {
  navigated = true;
  route();
});
route();
