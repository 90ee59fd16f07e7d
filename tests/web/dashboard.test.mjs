// dashboard.test.mjs - the dashboard end to end in a real browser.
//
// Starts tmlaasd on an ephemeral port with a temporary --data dir (and, when
// this build has it, tml-sim with a few simulated devices), checks the
// static file rules over raw HTTP, then drives Debian's /usr/bin/chromium
// headless through playwright-core: log in (a wrong token first), keyboard
// navigation, upload a model from the browser, compile it and check both
// report plots are drawn, the fleet and device pages, and a staged
// deployment watched to 100 % with its progress bars. Every page is saved
// at 1280x800 and at 390 px wide under --out. Any console error, page error
// or CSP violation fails the test.
//
// node dashboard.test.mjs --tmlaasd PATH --out DIR --model FILE.tflite
//                         [--tml-sim PATH] [--devices N]
// Exit 0 pass, 1 fail, 77 skipped (no chromium or node_modules).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const CHROMIUM = '/usr/bin/chromium';
const TOTAL_MS = 310_000;
const out = path.resolve(args.out || path.join(repo, 'build/tests/web/screenshots'));
const nDevices = Number(args.devices || 4);

function log(...a) {
  console.log(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);
}
function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

if (!args.tmlaasd || !fs.existsSync(args.tmlaasd)) {
  console.error('usage: node dashboard.test.mjs --tmlaasd PATH --out DIR --model FILE [--tml-sim PATH]');
  process.exit(1);
}
if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} is not installed (scripts/install-deps.sh installs Debian's chromium)`);
let chromium;
try {
  const require = createRequire(path.join(repo, 'package.json'));
  ({ chromium } = require('playwright-core'));
} catch {
  skip('playwright-core is not in node_modules (scripts/install-deps.sh runs npm install)');
}
if (!fs.existsSync(path.join(repo, 'node_modules/uplot/dist/uPlot.esm.js'))) skip('uplot is not in node_modules');
if (!args.model || !fs.existsSync(args.model)) skip(`model file ${args.model} not found (../shared/models)`);

const cleanups = [];
let failures = 0;
const deadline = setTimeout(() => {
  console.error(`FAIL: the whole test took longer than ${TOTAL_MS / 1000} s`);
  finish(1);
}, TOTAL_MS);

async function finish(code) {
  clearTimeout(deadline);
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (e) {
      console.error('cleanup:', e.message);
      code = code || 1;
    }
  }
  process.exit(code);
}

function check(ok, what) {
  if (ok) log(`ok   ${what}`);
  else {
    failures++;
    console.error(`FAIL ${what}`);
  }
}

// ---- processes ----
function startProcess(name, cmd, argv, env = {}) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines = [];
  const onData = (buf) => {
    for (const line of buf.toString().split('\n')) if (line) lines.push(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = new Promise((r) => setTimeout(() => r('timeout'), 15000));
      if ((await Promise.race([exited, timer])) === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`${name} did not stop within 15 s of SIGTERM`);
      }
    }
    const { code, signal } = await exited;
    if (code !== 0) {
      console.error(`${name} output:\n  ${lines.slice(-30).join('\n  ')}`);
      throw new Error(`${name} exited with ${code ?? signal}`);
    }
  });
  return { child, lines, exited };
}

async function waitFor(what, fn, ms = 15000, every = 100) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function rawGet(port, p, method = 'GET', headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] || '', headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function api(port, token, p, opts = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/${p}`, {
    method: opts.method || 'GET',
    headers: { Authorization: `Bearer ${token}`, ...(opts.body ? { 'Content-Type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

// ---- the test ----
async function main() {
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(out)) if (f.endsWith('.png')) fs.rmSync(path.join(out, f));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tml-web-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const token = `tml_${Array.from({ length: 48 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('')}`;

  const daemonArgs = ['--data', path.join(tmp, 'data'), '--http-port', '0', '--lwm2m-port', '0', '--lwm2m-dtls-port', '0', '--admin-token', token];
  const daemon = startProcess('tmlaasd', args.tmlaasd, daemonArgs, { TML_SOURCE_DIR: repo });
  const port = await waitFor('tmlaasd to listen', () => {
    if (daemon.child.exitCode !== null) throw new Error(`tmlaasd exited: ${daemon.lines.join(' | ')}`);
    const m = daemon.lines.map((l) => l.match(/http listening on http:\/\/127\.0\.0\.1:(\d+)/)).find(Boolean);
    return m && daemon.lines.some((l) => l.includes('ready')) ? Number(m[1]) : null;
  });
  // "tmlaasd: lwm2m listening on coap://127.0.0.1:PORT" and the key devices
  // must trust, "tmlaasd: package signing key (tml-agent --trust-key): HEX".
  const lwm2mPort = Number(daemon.lines.map((l) => l.match(/lwm2m listening on coap:\/\/[^\s]+:(\d+)/)).find(Boolean)?.[1]) || null;
  const trustKey = daemon.lines.map((l) => l.match(/--trust-key\): ([0-9a-f]{64})/)).find(Boolean)?.[1] || null;
  log(`tmlaasd on port ${port}${lwm2mPort ? `, lwm2m ${lwm2mPort}` : ''}${trustKey ? `, signing key ${trustKey.slice(0, 16)}…` : ''}`);
  const base = `http://127.0.0.1:${port}`;

  // Static files over raw HTTP: the rules of server/http/static.c.
  const r = async (p, m) => rawGet(port, p, m);
  let res = await r('/');
  check(res.status === 200 && res.type.startsWith('text/html') && res.body.includes('<main'), 'GET / is the dashboard (text/html)');
  check(/default-src 'self'/.test(res.headers['content-security-policy'] || ''), 'pages carry a Content-Security-Policy');
  res = await r('/vendor/uplot/uPlot.esm.js');
  check(res.status === 200 && res.type.startsWith('text/javascript') && res.body.length > 10000, 'uPlot is served from node_modules as JavaScript');
  res = await r('/app.css');
  check(res.status === 200 && res.type.startsWith('text/css'), 'CSS is text/css');
  for (const bad of ['/../README.md', '/js/../../README.md', '/%2e%2e/README.md', '/%252e%252e/README.md', '/..%2fREADME.md', '/js/', '/js', '/.gitignore', '/vendor/uplot/package.json', '/vendor/../README.md', '/nope.js']) {
    res = await r(bad);
    check(res.status === 404, `GET ${bad} is refused (${res.status})`);
  }
  res = await r('/index.html', 'POST');
  check(res.status === 405, 'POST to a page file is 405');
  res = await r('/api/v1/whoami');
  check(res.status === 401, 'the API still needs a token (401)');

  // Simulated devices, when this build has tml-sim and the LwM2M server.
  let sim = null;
  // Two profiles, so the rollout compiles once per profile; the devices
  // trust the daemon's signing key and run the installed model every 500 ms.
  const simProfiles = ['nrf52840', 'stm32f746'];
  if (args['tml-sim'] && fs.existsSync(args['tml-sim']) && lwm2mPort && trustKey) {
    sim = startProcess('tml-sim', args['tml-sim'], ['--server', `coap://127.0.0.1:${lwm2mPort}`, '--count', String(nDevices),
      '--profiles', simProfiles.join(','), '--trust-key', trustKey, '--infer-period', '500', '--report-every', '30',
      '--state', path.join(tmp, 'sim')]);
    log(`tml-sim with ${nDevices} devices (${simProfiles.join(', ')})`);
  }

  // ---- the browser ----
  const udd = fs.mkdtempSync(path.join(tmp, 'chromium-'));
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--no-default-browser-check', '--metrics-recording-only'],
    viewport: { width: 1280, height: 800 },
    timeout: 30000,
  });
  cleanups.push(() => context.close());
  context.setDefaultTimeout(20000);
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  // API errors the test provokes (401, 409, 404 for what this server lacks)
  // are logged by Chromium as failed loads; every page file must load.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (u.origin === base && !u.pathname.startsWith('/api/') && res.status() !== 200) problems.push(`page file ${u.pathname}: HTTP ${res.status()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Nothing may leave loopback: every request goes to tmlaasd.
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('blob:') && !req.url().startsWith('data:')) problems.push(`request outside tmlaasd: ${req.url()}`);
  });

  let shotN = 0;
  async function shots(name) {
    shotN++;
    const stem = `${String(shotN).padStart(2, '0')}-${name}`;
    await page.waitForTimeout(250);
    await page.screenshot({ path: path.join(out, `${stem}-1280x800.png`) });
    await page.screenshot({ path: path.join(out, `${stem}-1280-full.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.waitForTimeout(400);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 392, `${name}: no sideways scrolling at 390 px (page is ${width} px wide)`);
    await page.screenshot({ path: path.join(out, `${stem}-390-full.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(250);
  }

  // Log in: a wrong token is refused with a message, the right one works.
  await page.goto(`${base}/`);
  await page.waitForSelector('#token');
  check((await page.evaluate(() => document.activeElement?.id)) === 'token', 'the token field has the focus');
  await shots('login');
  await page.fill('#token', 'tml_wrong');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.inline-error:not([hidden])');
  check(/not valid/.test(await page.textContent('.inline-error')), 'a wrong token shows an error');
  await page.fill('#token', token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:text("Fleet")');
  check(true, 'logged in: the fleet page opens');

  // Keyboard: the skip link comes first, the main navigation works with Enter.
  await page.reload();
  await page.waitForSelector('h1:text("Fleet")');
  await page.keyboard.press('Tab');
  check((await page.evaluate(() => document.activeElement?.className)) === 'skip', 'Tab reaches the skip link first');
  await page.focus('#nav a[href="#/models"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:text("Model zoo")');
  check((await page.evaluate(() => document.activeElement?.tagName)) === 'H1', 'after navigating, the focus is on the page heading');
  await page.waitForSelector('text=The zoo is empty');
  check(true, 'the empty zoo says so');
  await shots('models-empty');

  // Upload a model from the browser.
  await page.setInputFiles('#up-file', args.model);
  await page.fill('#up-name', 'kws');
  await page.fill('#up-version', '1');
  await page.fill('#up-task', 'keyword-spotting');
  await page.click('form[aria-labelledby=up-h] button[type=submit]');
  await page.waitForSelector('h1:text("kws 1")', { timeout: 60000 });
  await page.waitForSelector('#layer-chart canvas');
  check(true, 'upload: the version page opens with its inspect report');
  await shots('model-version');

  // A second upload of the same version is refused with the server's reason.
  await page.goto(`${base}/#/models`);
  await page.setInputFiles('#up-file', args.model);
  await page.fill('#up-name', 'kws');
  await page.fill('#up-version', '1');
  await page.click('form[aria-labelledby=up-h] button[type=submit]');
  await page.waitForSelector('.inline-error:not([hidden])');
  check(/exists/.test(await page.textContent('.inline-error')), 'uploading an existing version shows the conflict');
  await shots('models');

  // Compile and open the compilation report; the plots must be drawn.
  await page.goto(`${base}/#/models/kws/versions/1`);
  await page.waitForSelector('#target');
  await page.selectOption('#target', 'nrf52840');
  await page.click('form[aria-labelledby=cmp-h] button[type=submit]');
  await page.waitForSelector('h1:text-matches("Compilation #\\\\d+")');
  await page.waitForSelector('#arena-chart canvas', { timeout: 90000 });
  const drawn = await page.evaluate(() => ['#layer-chart', '#arena-chart'].map((sel) => {
    const c = document.querySelector(`${sel} canvas`);
    if (!c || !c.width || !c.height) return 0;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let inked = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
    return inked;
  }));
  check(drawn[0] > 2000, `the per-layer plot is drawn (${drawn[0]} pixels inked)`);
  check(drawn[1] > 2000, `the arena timeline is drawn (${drawn[1]} pixels inked)`);
  const bars = await page.$$eval('#fit-h ~ .table-wrap tbody tr', (rows) => rows.length);
  check(bars >= 5, `the fit table lists every target profile (${bars})`);
  check(await page.isVisible('tr.selected >> text=nrf52840'), 'the compiled target is marked in the fit table');
  // Hovering the timeline names the live tensors.
  await page.locator('#arena-chart').scrollIntoViewIfNeeded();
  const box = await page.locator('#arena-chart .u-over').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.waitForFunction(() => /^Call \d+/.test(document.querySelector('#arena-chart ~ .live-list')?.textContent || ''));
  check(true, 'pointing at the arena timeline lists the live tensors');
  // The same from the keyboard: focus the plot, step with the arrow keys.
  await page.focus('#layer-chart');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /^Layer 1:/.test(document.querySelector('#layer-chart ~ .live-list')?.textContent || ''));
  check(true, 'the arrow keys step through the layers of the plot');
  await shots('compilation-report');
  await page.goto(`${base}/#/compilations`);
  await page.waitForSelector('table');
  await shots('compilations');

  // Fleet and device detail.
  await page.goto(`${base}/#/fleet`);
  if (sim) {
    await page.waitForFunction((n) => document.querySelectorAll('main tbody tr').length >= n, nDevices, { timeout: 60000 });
    check(true, `the fleet lists the ${nDevices} simulated devices`);
  } else {
    // Without the simulator, devices created through the API stand in.
    for (const [ep, prof, tags] of [['sensor-01', 'nrf52840', ['lab']], ['sensor-02', 'nrf52840', ['lab', 'roof']], ['cam-01', 'stm32f746', ['door']]]) {
      const c = await api(port, token, 'devices', { method: 'POST', body: { endpoint: ep, profile: prof, tags } });
      check(c.status === 201, `device ${ep} created (${c.status})`);
    }
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length === 3);
  }
  const nAll = await page.$$eval('main tbody tr', (rows) => rows.length);
  await page.fill('#q', sim ? 'zzz-no-such-device' : 'cam');
  const nFiltered = await page.$$eval('main tbody tr', (rows) => rows.length);
  check(sim ? nFiltered === 0 : nFiltered === 1, `search filters the fleet (${nAll} -> ${nFiltered})`);
  if (sim) check(await page.isVisible('text=No device matches'), 'an empty search result says so');
  await page.fill('#q', '');
  await shots('fleet');
  const firstDevice = await page.getAttribute('main tbody tr a', 'href');
  await page.click(`main tbody tr a[href="${firstDevice}"]`);
  await page.waitForSelector('#cap-h');
  check(true, 'the device page opens');
  await shots('device');

  // Deployments: enabled when the server has them and simulated devices exist.
  const dep = await api(port, token, 'deployments');
  if (dep.status === 404 || !sim) {
    log(`SKIPPED the deployment step: ${dep.status === 404 ? 'this tmlaasd has no /api/v1/deployments yet' : 'no tml-sim in this build'}`);
    await page.goto(`${base}/#/deployments`);
    await page.waitForSelector('h1:text("Deployments")');
    await shots('deployments-unavailable');
  } else {
    // The form: the model, every device, a canary of one device then
    // batches of two; the dry run shows the plan without storing anything.
    await page.goto(`${base}/#/deployments/new`);
    await page.waitForSelector('#dep-model');
    await page.selectOption('#dep-model', 'kws@1');
    await page.selectOption('#dep-scope', 'all');
    await page.fill('#dep-canary', '25');
    await page.fill('#dep-batch', '2');
    await page.fill('#dep-threshold', '50');
    await page.click('#dep-dry');
    await page.waitForSelector('#dep-plan tbody tr');
    const plan = await page.$$eval('#dep-plan tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    check(plan.length === nDevices && plan.every((r) => r[2] === 'fits'), `the dry run plans every device and each fits (${plan.map((r) => `${r[0]}:${r[2]}`).join(' ')})`);
    check(new Set(plan.map((r) => r[1])).size >= 2, `the plan covers both profiles (${[...new Set(plan.map((r) => r[1]))].join(', ')})`);
    check(plan.every((r) => /\d/.test(r[4]) && /\d/.test(r[5])), 'the plan gives package bytes and CoAP blocks per device');
    const dryList = await api(port, token, 'deployments');
    check(dryList.status === 200 && dryList.json.deployments.length === 0, 'the dry run stored nothing');
    await shots('deployment-plan');

    // Start it; the bars are watched from the moment the page shows them.
    await page.click('form[aria-labelledby=dep-h] button[type=submit]');
    await page.waitForSelector('h1:has-text("Deployment #")');
    await page.waitForSelector('#dep-overall [role=progressbar]');
    await page.evaluate(() => {
      window.__seen = { overall: new Set(), steps: new Set(), batches: new Set() };
      const sample = () => {
        const v = (sel) => [...document.querySelectorAll(sel)].map((b) => b.getAttribute('aria-valuenow')).join(',');
        window.__seen.overall.add(v('#dep-overall [role=progressbar]'));
        window.__seen.steps.add(v('#dep-steps [role=progressbar]'));
        window.__seen.batches.add(v('#dep-batches [role=progressbar]'));
      };
      sample();
      new MutationObserver(sample).observe(document.querySelector('main'), { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await page.waitForSelector('#dep-steps [role=progressbar]');
    await shots('deployment-running');
    await page.waitForFunction(() => document.querySelector('#dep-overall [role=progressbar]')?.getAttribute('aria-valuenow') === '100', null, { timeout: 180000, polling: 250 });
    check(true, 'the deployment reaches 100 %');
    await page.waitForFunction(() => document.querySelector('#dep-pause')?.disabled && /done/.test(document.querySelector('.head [role=status]')?.textContent || ''), null, { timeout: 10000 });
    check(true, 'the deployment is done and can no longer be paused');
    const seen = await page.evaluate(() => Object.fromEntries(Object.entries(window.__seen).map(([k, v]) => [k, [...v]])));
    log(`progress seen: overall ${seen.overall.join(' | ')}; stages ${seen.steps.join(' | ')}; batches ${seen.batches.join(' | ')}`);
    const stepVals = await page.$$eval('#dep-steps [role=progressbar]', (bs) => bs.map((b) => b.getAttribute('aria-valuenow')));
    check(stepVals.length === 5 && stepVals.every((v) => v === '100'), `every stage bar is at 100 % (${stepVals.join(', ')})`);
    const batchVals = await page.$$eval('#dep-batches [role=progressbar]', (bs) => bs.map((b) => b.getAttribute('aria-valuenow')));
    check(batchVals.length === 3 && batchVals.every((v) => v === '100'), `the canary and both batches are at 100 % (${batchVals.join(', ')})`);
    const partial = (list) => list.some((row) => row.split(',').some((v) => Number(v) > 0 && Number(v) < 100));
    check(seen.steps.length >= 3 && partial(seen.steps), `the stage bars moved live through partial values (${seen.steps.length} states seen)`);
    check(seen.overall.length >= 2 && seen.overall[0] !== '100', `the overall bar moved live (${seen.overall.join(' -> ')})`);
    const states = await page.$$eval('#dep-devices tbody tr', (rows) => rows.map((r) => [r.dataset.endpoint, r.dataset.stage, r.cells[2].textContent.trim()]));
    check(states.length === nDevices && states.every((x) => x[1] === 'done'), `per-device states: ${states.map((x) => `${x[0]} ${x[1]} (batch ${x[2]})`).join(', ')}`);
    check(states.map((x) => x[2]).join(',') === '1,2,2,3', `the canary is batch 1, then batches of two (${states.map((x) => x[2]).join(',')})`);
    await shots('deployment-done');
    await page.goto(`${base}/#/deployments`);
    await page.waitForSelector('main tbody tr');
    check(/done/.test(await page.textContent('main tbody tr')), 'the deployment list shows it done');
    await shots('deployments');
    await page.goto(`${base}/#/fleet`);
    await page.waitForFunction((n) => [...document.querySelectorAll('main tbody tr')].filter((r) => /kws@1/.test(r.textContent)).length === n, nDevices, { timeout: 20000 });
    check(true, 'the fleet shows kws@1 installed on every device');
    await shots('fleet-after-deployment');

    // A device's inference plot: the devices run the model every 500 ms and
    // report it; the page is opened again until results are there.
    const ep = states[0][0];
    await waitFor(`inference results from ${ep}`, async () => {
      await page.goto(`${base}/#/devices/${ep}`);
      await page.waitForSelector('#inf-h');
      await page.waitForSelector('#inf-chart canvas, #inf-h ~ .state', { timeout: 15000 });
      return page.$('#inf-chart canvas');
    }, 90000, 1500);
    await page.waitForSelector('#lat-chart canvas');
    const inked = await page.evaluate(() => ['#inf-chart', '#lat-chart'].map((sel) => {
      const c = document.querySelector(`${sel} canvas`);
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    }));
    check(inked[0] > 2000 && inked[1] > 1000, `the inference plots are drawn (${inked.join(', ')} pixels inked)`);
    check(/kws 1, top class \d+/.test(await page.textContent('#inf-summary')), `the newest result is summarised (${await page.textContent('#inf-summary')})`);
    const hist = await page.$$eval('#inst-table tbody tr', (rows) => rows.map((r) => r.textContent));
    check(hist.length === 1 && /kws 1/.test(hist[0]) && /done/.test(hist[0]), 'the install history lists the deployment as done');
    await shots('device-after-deployment');
  }

  // Logging out forgets the token.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('#logout');
  await page.waitForSelector('#token');
  check((await page.evaluate(() => sessionStorage.length + localStorage.length)) === 0, 'logging out forgets the token');

  for (const p of problems) check(false, p);
  log(`screenshots in ${out}`);
}

main().then(
  () => {
    console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
    finish(failures ? 1 : 0);
  },
  (e) => {
    console.error(`FAIL: ${e.stack || e.message}`);
    finish(1);
  },
);
