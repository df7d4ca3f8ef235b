// Live mode over real HTTP, as a person would use it: the release build served by
// `pingone-proxy --sandbox --serve dist` (app and proxy on one origin, the sandbox engine as the
// "PingOne" behind the proxy). The person switches to Live PingOne, types the tenant and the
// worker credentials, picks an authenticator-app (TOTP) device, presses Run all, and sees the
// verified tokens: the page computes the device's codes, so MFA completes unattended.
// scripts/test.sh starts the proxy and passes E2E_LIVE_URL and E2E_LIVE_TENANT (the JSON the
// proxy printed for its sandbox).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from './lib.mjs';

let session;

before(async () => {
  session = await launch();
});
after(async () => {
  await session?.close();
});

function live() {
  const url = process.env.E2E_LIVE_URL;
  const tenant = process.env.E2E_LIVE_TENANT;
  if (!url || !tenant) throw new Error('E2E_LIVE_URL / E2E_LIVE_TENANT are not set: run through scripts/test.sh');
  return { url: url.replace(/\/$/, ''), tenant: JSON.parse(tenant) };
}

const card = (page, n) => page.locator(`li.step[data-step="${n}"]`);

test('live mode completes all 21 steps through pingone-proxy --sandbox --serve dist', async () => {
  const { url, tenant } = live();
  const page = await newPage(session.context);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${url}/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();

  await page.getByRole('radio', { name: 'Live PingOne' }).check();
  await page.getByLabel('Environment id').fill(tenant.env_id);
  await page.getByLabel('Worker client id').fill(tenant.worker_client_id);
  await page.getByLabel('Worker client secret').fill(tenant.worker_client_secret);
  // The proxy URL stays empty: the page's own origin.
  assert.equal(await page.getByLabel('Proxy URL').inputValue(), '');

  await page.getByLabel('Device type').selectOption('TOTP');
  await page.getByRole('button', { name: 'Run all' }).click();
  // No sandbox inbox in live mode.
  assert.equal(await page.locator('.inbox').count(), 0);
  await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await page.locator('li.step[data-status="done"]').count(), 21);
  // The ID token is verified in the page: discovery, JWKS and claims fetched through the proxy.
  const verdict = page.locator('.id-token-checks [data-verdict]');
  await verdict.waitFor({ timeout: 15_000 });
  assert.equal(await verdict.getAttribute('data-verdict'), 'valid', await page.locator('.id-token-checks').innerText());
  // Every PingOne call went through the proxy's routes on this origin; the sandbox worker was
  // never downloaded (live mode needs no emulator in the page).
  const calls = requests.filter((u) => /\/(api|auth)\//.test(u));
  assert.ok(calls.length >= 21, `${calls.length} calls`);
  for (const u of calls) assert.ok(u.startsWith(`${url}/na/`), u);
  assert.ok(!requests.some((u) => u.includes('sandbox-worker')), 'the sandbox worker was not fetched');
  assert.deepEqual(page.errors, []);
});
