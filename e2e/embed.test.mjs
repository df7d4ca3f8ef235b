// Embedding (docs/embedding.md): the example page with its three instances (a full iframe, a
// Sign-on-only script include, a read-only auto-run script include), every page served with the
// strict Content-Security-Policy the doc gives; the host messages; invalid options; commands
// from the wrong origin; and a build made with `--public-url /docs/workbench/` served there.
//
// Serves the builds itself (e2e/embed_server.mjs): E2E_DIST (default dist/) at `/` and
// E2E_SUBPATH_DIST (scripts/test.sh builds it) under `/docs/workbench/`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, newPage } from './lib.mjs';
import { serve, STRICT_CSP } from './embed_server.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.E2E_DIST ?? join(repo, 'dist');
const subDist = process.env.E2E_SUBPATH_DIST;
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

// Fixture pages: no inline script (the CSP forbids it); record.js logs the messages.
const html = (body, head = '') => ({
  type: 'text/html; charset=utf-8',
  body: `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>fixture</title>${head}<script type="module" src="/fixtures/record.js"></script></head><body>${body}</body></html>`,
});
const fixtures = {
  '/fixtures/record.js': {
    type: 'text/javascript; charset=utf-8',
    body: `window.workbenchMessages = [];
addEventListener('message', (e) => { if (e.data && e.data.source === 'pingone-workbench') window.workbenchMessages.push({ ...e.data, origin: e.origin }); });
for (const f of document.querySelectorAll('iframe[data-src]')) f.src = f.dataset.src;`,
  },
  '/fixtures/invalid.html': html(
    `<div data-pingone-workbench data-id="bad" data-mode="staging" data-colour="red" data-phases="connect,tokens"></div>
     <iframe id="bad-frame" title="bad" data-src="/embed/frame.html?id=bad-frame&theme=purple&speed=fast"></iframe>`,
    '<script type="module" src="/embed/embed.js"></script>',
  ),
  '/fixtures/wrong-origin.html': html(
    `<iframe id="f" title="wrong origin" data-src="/embed/frame.html?id=w&host-origin=http://127.0.0.1:9"></iframe>`,
  ),
  '/fixtures/dark.css': { type: 'text/css; charset=utf-8', body: ':root { color-scheme: dark; }' },
  '/guide/page.html': html(
    `<h1>A guide under another path</h1>
     <div data-pingone-workbench data-id="sub" data-phases="sign-on,tokens" data-auto-run data-theme="host"></div>`,
    '<link rel="stylesheet" href="/fixtures/dark.css"><script type="module" src="/docs/workbench/embed/embed.js"></script>',
  ),
};

let session;
let server;
let other; // another origin, for the cross-origin script include
let page; // the example page, shared by the tests below in order

before(async () => {
  assert.ok(existsSync(join(dist, 'embed', 'embed.js')), `${dist}/embed/embed.js: build first (scripts/build.sh)`);
  const mounts = [{ prefix: '/', dir: dist }];
  if (subDist) mounts.push({ prefix: '/docs/workbench/', dir: subDist });
  server = await serve({ mounts, fixtures, cors: true });
  // A docs page on another origin: the policy of docs/embedding.md plus the app's origin.
  const app = new URL(server.url).origin;
  other = await serve({
    fixtures: {
      '/fixtures/record.js': fixtures['/fixtures/record.js'],
      '/cross.html': html(
        `<div data-pingone-workbench data-id="cross" data-phases="tokens" data-auto-run></div>`,
        `<script type="module" src="${app}/embed/embed.js"></script>`,
      ),
    },
    csp: STRICT_CSP.replace("script-src 'self'", `script-src 'self' ${app}`)
      .replace("style-src 'self'", `style-src 'self' ${app}`)
      .replace("connect-src 'self'", `connect-src 'self' ${app}`),
  });
  session = await launch();
});
after(async () => {
  await session?.close();
  await server?.close();
  await other?.close();
});

const messages = (p) => p.evaluate(() => window.workbenchMessages ?? []);

/** Waits for a message from `instance` of `type` whose fields include `fields`. */
async function waitForMessage(p, instance, type, fields = {}, timeout = 60_000) {
  try {
    await p.waitForFunction(
      ([instance, type, fields]) =>
        (window.workbenchMessages ?? []).some(
          (m) => m.instance === instance && m.type === type && Object.entries(fields).every(([k, v]) => m[k] === v),
        ),
      [instance, type, fields],
      { timeout, polling: 50 },
    );
  } catch (e) {
    // Say what did arrive, what the page logged and how far the instance got.
    const steps = await host(p, instance)
      .locator('li.step')
      .evaluateAll((l) => l.map((x) => `${x.dataset.step}:${x.dataset.status}`).join(' '))
      .catch(() => '(no steps)');
    const live = await host(p, instance).locator('[aria-live]').allInnerTexts().catch(() => []);
    throw new Error(
      `no ${type} from ${instance}: ${e.message}\nmessages: ${JSON.stringify(await messages(p))}\n` +
        `page errors: ${JSON.stringify(p.errors)}\nsteps: ${steps}\nlive regions: ${JSON.stringify(live)}`,
    );
  }
  return (await messages(p)).filter((m) => m.instance === instance && m.type === type);
}

const host = (p, id) => p.locator(`[data-pingone-workbench][data-id="${id}"]`);

test('the example page renders its three instances under a strict CSP', async () => {
  page = await newPage(session.context);
  const fetched = [];
  page.on('request', (r) => fetched.push(r.url()));
  const response = await page.goto(`${server.url}embed/example.html`);
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval';/);
  await waitForMessage(page, 'full', 'ready', {}, 20_000);
  await waitForMessage(page, 'sign-on', 'ready', {}, 30_000);
  await waitForMessage(page, 'auto', 'ready', {}, 30_000);

  // 1. The iframe: the whole app (21 steps, every phase).
  const frame = page.frameLocator('#full');
  await frame.getByRole('heading', { level: 1, name: 'PingOne Sign-On Workbench' }).waitFor();
  assert.equal(await frame.locator('li.step').count(), 21);
  assert.equal(await frame.getByRole('button', { name: 'Run all', exact: true }).count(), 1);
  // The embed's own module, fetched with the version the build stamped into embed.js (stable
  // names); never the app's hashed module.
  const names = fetched.map((u) => new URL(u).pathname + new URL(u).search);
  assert.ok(names.some((n) => /\/workbench-embed\.js\?v=[0-9a-f]{16}$/.test(n)), names.join('\n'));
  assert.ok(names.some((n) => /\/workbench-embed_bg\.wasm\?v=[0-9a-f]{16}$/.test(n)), names.join('\n'));
  // (Trunk's hashes are a u64 in hex without leading zeros: up to 16 digits.)
  assert.ok(!names.some((n) => /\/workbench-[0-9a-f]+(_bg\.wasm|\.js)$/.test(n)), names.join('\n'));
  // The stylesheet's name is stamped into embed.js too: the loader does not read index.html.
  assert.ok(names.some((n) => /\/workbench-[0-9a-f]+\.css$/.test(n)), names.join('\n'));
  assert.ok(!names.some((n) => n.endsWith('/index.html') || n === '/'), names.join('\n'));

  // 2. Sign on only: steps 14-18 shown; 0-13 were pre-run silently in its own sandbox.
  const signOn = host(page, 'sign-on');
  assert.deepEqual(await signOn.locator('section.phase').evaluateAll((s) => s.map((x) => x.dataset.phase)), ['sign-on']);
  assert.equal(await signOn.locator('li.step:visible').count(), 5);
  assert.equal(await signOn.locator('li.step[data-step="14"][data-status="ready"]').count(), 1);
  assert.equal(await signOn.locator('.wb-run').innerText(), 'Run steps 14–18');
  // Its accent is on its root only.
  assert.equal(await signOn.locator('.wb-embed').evaluate((e) => getComputedStyle(e).getPropertyValue('--accent').trim()), '#0b7a5f');
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--accent')), '');

  // 3. Read-only: one button, no inputs; dark theme on the instance root, not on <html>.
  const auto = host(page, 'auto');
  assert.equal(await auto.locator('.wb-embed').getAttribute('data-theme'), 'dark');
  assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-theme')), null);
  assert.equal(await auto.locator('input:visible, select:visible, textarea:visible').count(), 0);
  const buttons = await auto.locator('button:visible').allInnerTexts();
  assert.equal(buttons.length, 1, `read-only shows only Run: ${buttons}`);
  // The host page keeps its own styles: the app's CSS stays in the shadow roots.
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).fontFamily), 'Georgia, "Times New Roman", serif');
  assert.deepEqual(page.errors, []);
});

test('the auto-run instance finishes by itself', async () => {
  const [done] = await waitForMessage(page, 'auto', 'run-finished');
  assert.equal(done.outcome, 'complete');
  assert.equal(done.total, 21);
  const auto = host(page, 'auto');
  assert.equal(await auto.locator('li.step[data-status="done"]').count(), 21);
  await auto.getByRole('heading', { name: 'Decoded ID token' }).waitFor();
  assert.equal(await auto.locator('.wb-run').innerText(), 'Run again');
});

test('running one instance does not change another', async () => {
  const frame = page.frameLocator('#full');
  const signOn = host(page, 'sign-on');
  await signOn.locator('.wb-run').click();
  const [done] = await waitForMessage(page, 'sign-on', 'run-finished');
  assert.deepEqual([done.outcome, done.done, done.total], ['complete', 5, 5]);
  assert.equal(await signOn.locator('li.step[data-status="done"]:visible').count(), 5);
  // The iframe has not run anything; the auto instance still has its own single run.
  assert.equal(await frame.locator('li.step[data-status="done"]').count(), 0);
  assert.equal(await frame.locator('.inspector .exchanges li').count(), 0);
  // Each instance has its own sandbox: one OTP in each inbox, different environments.
  assert.equal(await signOn.locator('.inbox .otp').count(), 1);
  assert.equal(await host(page, 'auto').locator('.inbox .otp').count(), 1);
  const otps = [
    await signOn.locator('.inbox .otp').getAttribute('data-otp'),
    await host(page, 'auto').locator('.inbox .otp').getAttribute('data-otp'),
  ];
  // Their inspectors hold their own calls: 20 for sign-on (15 pre-run: steps 0-13 with step 0's
  // environment read, then 5), 22 for auto.
  assert.equal(await signOn.locator('#inspector .exchanges li').count(), 20);
  assert.equal(await host(page, 'auto').locator('#inspector .exchanges li').count(), 22);
  // "Inspect" on a step moves the keyboard focus to its call in this instance's own inspector,
  // inside the instance's shadow root (out of document.getElementById's reach).
  await signOn.locator('li.step[data-step="18"] button', { hasText: 'Inspect' }).click();
  await page.waitForFunction(() => document.querySelector('[data-id="sign-on"]').shadowRoot.activeElement?.id === 'inspector-detail');
  assert.match(await signOn.locator('#inspector-detail').innerText(), /as\/resume/);
  assert.ok(page.workers().length >= 2, `one sandbox worker per script instance, saw ${page.workers().length}`);
  // Nothing in web storage (no global state between instances).
  const stored = await page.evaluate(() => JSON.stringify({ s: { ...sessionStorage }, l: { ...localStorage } }));
  assert.equal(stored, '{"s":{},"l":{}}');
  // No secret in any message.
  const all = JSON.stringify(await messages(page));
  assert.doesNotMatch(all, JWT);
  for (const otp of otps) assert.ok(otp && !all.includes(`"${otp}"`), 'no OTP in messages');
  assert.doesNotMatch(all, /"(access_token|id_token|refresh_token|client_secret|password|otp|code)"\s*:/i);
  assert.deepEqual(page.errors, []);
});

test('the host receives the documented messages', async () => {
  const all = await messages(page);
  for (const m of all) {
    assert.equal(m.source, 'pingone-workbench');
    assert.equal(m.version, 1);
    assert.ok(['ready', 'step-finished', 'run-finished', 'error', 'resize'].includes(m.type), m.type);
    assert.ok(['full', 'sign-on', 'auto'].includes(m.instance), m.instance);
  }
  const of = (id, type) => all.filter((m) => m.instance === id && m.type === type);
  for (const id of ['full', 'sign-on', 'auto']) assert.equal(of(id, 'ready').length, 1, `${id} ready once`);
  const ready = of('sign-on', 'ready')[0];
  assert.deepEqual(ready.steps, [14, 18]);
  assert.equal(ready.options.mode, 'sandbox');
  // step-finished for the shown steps only (the pre-run ones are silent), in the DAG's order.
  const steps = of('sign-on', 'step-finished');
  assert.deepEqual(steps.map((m) => m.step), [14, 15, 16, 17, 18]);
  for (const m of steps) {
    assert.equal(m.status, 'done');
    assert.equal(typeof m.title, 'string');
    assert.equal(m.phase, 'sign-on');
    assert.equal(typeof m.duration_ms, 'number');
  }
  assert.equal(of('auto', 'step-finished').length, 21);
  assert.equal(of('auto', 'error').length, 0);
  assert.ok(of('full', 'resize').length >= 1, 'the iframe reported its height');
  assert.equal(of('sign-on', 'resize').length, 0, 'a script include sizes itself');
});

test('the iframe sizes itself to its content, and a command from its host runs it', async () => {
  const iframe = page.locator('#full');
  const lastHeight = async () => of(await messages(page)).at(-1).height;
  const of = (all) => all.filter((m) => m.instance === 'full' && m.type === 'resize');
  const before = await lastHeight();
  assert.ok(before > 500, `content height ${before}`);
  assert.ok(Math.abs((await iframe.boundingBox()).height - before) <= 2, 'iframe height = reported height');
  const frame = page.frame({ url: /frame\.html/ });
  const fit = await frame.evaluate(() => [document.documentElement.scrollHeight, innerHeight]);
  assert.ok(fit[0] <= fit[1] + 1, `no scrollbar inside the iframe: ${fit}`);

  await page.locator('#run-full').click();
  const [done] = await waitForMessage(page, 'full', 'run-finished');
  const errors = (await messages(page)).filter((m) => m.instance === 'full' && m.type === 'error');
  assert.equal(done.outcome, 'complete', JSON.stringify(errors));
  await page.frameLocator('#full').getByRole('heading', { name: 'Decoded ID token' }).waitFor();
  await page.waitForFunction((h) => {
    const r = window.workbenchMessages.filter((m) => m.instance === 'full' && m.type === 'resize');
    return r.at(-1).height > h;
  }, before);
  const after = await lastHeight();
  await page.waitForFunction((h) => Math.abs(document.getElementById('full').getBoundingClientRect().height - h) <= 2, after);
  const steps = (await messages(page)).filter((m) => m.instance === 'full' && m.type === 'step-finished');
  assert.equal(steps.length, 21);
  // set-theme from the host origin.
  await page.evaluate((origin) => {
    document.getElementById('full').contentWindow.postMessage({ target: 'pingone-workbench', version: 1, type: 'set-theme', theme: 'dark' }, origin);
  }, new URL(server.url).origin);
  await page.frameLocator('#full').locator('.wb-embed[data-theme="dark"]').waitFor();
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('commands from another origin are ignored', async () => {
  const p = await newPage(session.context);
  await p.goto(`${server.url}fixtures/wrong-origin.html`);
  const frame = p.frameLocator('#f');
  await frame.locator('li.step[data-step="0"][data-status="ready"]').waitFor({ timeout: 20_000 });
  // This page's origin is not the iframe's host-origin: its run command does nothing.
  await p.evaluate(() =>
    document.getElementById('f').contentWindow.postMessage({ target: 'pingone-workbench', version: 1, type: 'run' }, '*'),
  );
  await p.waitForTimeout(1500);
  assert.equal(await frame.locator('li.step[data-status="done"]').count(), 0);
  assert.equal(await frame.locator('.inspector .exchanges li').count(), 0);
  // The iframe posts its messages to its host-origin only: none reached this page.
  assert.deepEqual(await messages(p), []);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test('invalid options are shown in the embed and reported to the host', async () => {
  const p = await newPage(session.context);
  await p.goto(`${server.url}fixtures/invalid.html`);
  const script = host(p, 'bad').locator('.wb-embed-errors');
  await script.waitFor({ timeout: 20_000 });
  const text = await script.innerText();
  for (const s of ['data-mode=staging', 'data-colour=red', 'data-phases=connect,tokens']) assert.ok(text.includes(s), `${s} in: ${text}`);
  const frameErrors = p.frameLocator('#bad-frame').locator('.wb-embed-errors');
  await frameErrors.waitFor({ timeout: 20_000 });
  const ftext = await frameErrors.innerText();
  for (const s of ['theme=purple', 'speed=fast']) assert.ok(ftext.includes(s), `${s} in: ${ftext}`);
  // The instances still work with the defaults.
  assert.equal(await host(p, 'bad').locator('li.step').count(), 21);
  const [err] = await waitForMessage(p, 'bad', 'error', { code: 'invalid-options' });
  assert.deepEqual(err.problems.map((x) => x.option), ['mode', 'colour', 'phases']);
  const [ferr] = await waitForMessage(p, 'bad-frame', 'error', { code: 'invalid-options' });
  assert.deepEqual(ferr.problems.map((x) => x.option), ['theme', 'speed']);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test('a script include from another origin runs, its sandbox in a blob: worker', async () => {
  const p = await newPage(session.context);
  await p.goto(`${other.url}cross.html`);
  const [done] = await waitForMessage(p, 'cross', 'run-finished');
  assert.deepEqual([done.outcome, done.done, done.total], ['complete', 2, 2]);
  assert.ok(p.workers().some((w) => w.url().startsWith('blob:')), `workers: ${p.workers().map((w) => w.url())}`);
  await host(p, 'cross').getByRole('heading', { name: 'Decoded ID token' }).waitFor();
  assert.deepEqual(p.errors, []);
  await p.close();
});

test('the app itself runs under the strict CSP with its boot script hash', async () => {
  const p = await newPage(session.context);
  const response = await p.goto(server.url);
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'sha256-[A-Za-z0-9+/=]+' 'wasm-unsafe-eval'/);
  await p.getByRole('button', { name: 'Run all', exact: true }).click();
  await p.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ timeout: 60_000 });
  assert.equal(await p.locator('li.step[data-status="done"]').count(), 21);
  assert.deepEqual(p.errors, []);
  await p.evaluate(() => sessionStorage.clear());
  await p.close();
});

test('a build with --public-url /docs/workbench/ runs embedded from another path, and on its own', { skip: !subDist && 'E2E_SUBPATH_DIST not set' }, async () => {
  const p = await newPage(session.context);
  await p.goto(`${server.url}guide/page.html`);
  const [done] = await waitForMessage(p, 'sub', 'run-finished');
  assert.deepEqual([done.outcome, done.done, done.total], ['complete', 7, 7]);
  await host(p, 'sub').getByRole('heading', { name: 'Decoded ID token' }).waitFor();
  assert.ok(
    p.workers().some((w) => w.url().includes('/docs/workbench/sandbox-worker')),
    `the sandbox worker comes from the sub-path: ${p.workers().map((w) => w.url())}`,
  );
  // theme=host: the page's color-scheme (dark), then the page switches to light.
  const root = host(p, 'sub').locator('.wb-embed');
  assert.equal(await root.getAttribute('data-theme'), 'dark');
  await p.evaluate(() => document.documentElement.style.setProperty('color-scheme', 'light'));
  await p.waitForFunction(() => document.querySelector('[data-id="sub"]').shadowRoot.querySelector('.wb-embed').dataset.theme === 'light');
  // Removing the element unmounts the instance.
  await p.evaluate(() => document.querySelector('[data-id="sub"]').remove());
  await p.waitForFunction(() => window.PingOneWorkbench.instances.size === 0);
  assert.deepEqual(p.errors, []);

  await p.goto(`${server.url}docs/workbench/`);
  await p.getByRole('button', { name: 'Run all', exact: true }).click();
  await p.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ timeout: 60_000 });
  assert.deepEqual(p.errors, []);
  await p.evaluate(() => sessionStorage.clear());
  await p.close();
});
