// The app shell loads from the release build: title, heading, no errors. Saves screenshot.png (lib.mjs shotPath).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, launch, newPage, shotPath } from './lib.mjs';

let session;

before(async () => {
  session = await launch();
});
after(async () => {
  await session?.close();
});

test('the page loads the app: title, heading, main, no errors', async () => {
  const page = await newPage(session.context);
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const response = await page.goto(baseUrl(), { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.equal(await page.title(), 'PingOne Sign-On Workbench');

  // The heading is rendered by the wasm app, so this also proves the wasm loaded and ran.
  const heading = page.getByRole('heading', { level: 1, name: 'PingOne Sign-On Workbench' });
  await heading.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await page.locator('main').count(), 1);
  assert.deepEqual(page.errors, []);
  // The embed has its own module (docs/embedding.md): the app's page never fetches it.
  assert.ok(fetched.some((p) => /\/workbench-[0-9a-f]+_bg\.wasm$/.test(p)), fetched.join('\n'));
  assert.ok(!fetched.some((p) => p.includes('workbench-embed') || p.includes('/embed/')), fetched.join('\n'));

  await page.screenshot({ path: shotPath('screenshot.png') });
  await page.close();
});

test('index.html?embed opens as an iframe embed: it goes on to embed/frame.html with the same query', async () => {
  const page = await newPage(session.context);
  await page.goto(`${baseUrl()}?embed&phases=tokens&compact`, { waitUntil: 'load' });
  await page.waitForURL(/\/embed\/frame\.html\?embed&phases=tokens&compact$/, { timeout: 15_000 });
  const root = page.locator('.wb-embed.wb-frame.wb-compact.wb-partial');
  await root.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await page.locator('[data-phase="tokens"]').count(), 1);
  assert.equal(await page.locator('[data-phase="provision"]').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a redirect back to the app leaves no code or state in the address bar, and no request carries a Referer', async () => {
  const page = await newPage(session.context);
  const referers = [];
  page.on('request', (r) => {
    const referer = r.headers()['referer'];
    if (referer) referers.push(`${r.url()} <- ${referer}`);
  });
  await page.goto(`${baseUrl()}callback?code=c0de-Zx9&state=st4te-Qw1&iss=https%3A%2F%2Fauth.pingone.com`, { waitUntil: 'load' });
  await page.getByRole('heading', { level: 1, name: 'PingOne Sign-On Workbench' }).waitFor({ state: 'visible', timeout: 15_000 });
  const address = page.url();
  assert.ok(!/code=|state=|iss=/.test(address), `still in the address bar: ${address}`);
  assert.ok(address.endsWith('/callback'), address);
  assert.equal(await page.evaluate(() => location.search), '');
  // The page's requests (its module, the sandbox worker) say nothing of the page's address. The
  // worker's own fetches name the worker's script, a static file, which the page's referrer
  // policy does not govern; never the page.
  await page.getByRole('button', { name: 'Run all', exact: true }).click();
  await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ state: 'visible', timeout: 60_000 });
  const fromPage = referers.filter((r) => !r.endsWith(' <- ' + new URL('sandbox-worker_loader.js', baseUrl()).href));
  assert.deepEqual(fromPage, []);
  assert.ok(!referers.some((r) => /callback|code=|state=/.test(r.split(' <- ')[1])), referers.join('\n'));
  assert.deepEqual(page.errors, []);
  await page.close();
});
