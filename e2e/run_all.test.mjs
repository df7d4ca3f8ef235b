// A person opens the page, clicks "Run all", and sees the decoded ID token: all 21 calls run
// against the in-page sandbox, unattended. Also: nothing secret is left in web storage, the page
// works at 360 px, and a reload in the middle of a run keeps it. Saves run-all.png (lib.mjs shotPath).
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

/** The text of the ARIA live region. */
const liveStatus = (page) => page.locator('.live-status').innerText();

test('Run all completes the 21 steps in sandbox mode and shows the decoded tokens', async () => {
  const page = await newPage(session.context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(baseUrl());
  const runAll = page.getByRole('button', { name: 'Run all', exact: true });
  await runAll.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await page.locator('li.step').count(), 21);
  assert.equal(await page.locator('li.step[data-status="ready"]').count(), 1, 'only step 0 is ready');

  await runAll.click();
  const idToken = page.getByRole('heading', { name: 'Decoded ID token' });
  await idToken.waitFor({ state: 'visible', timeout: 60_000 });

  assert.equal(await page.locator('li.step[data-status="done"]').count(), 21);
  assert.match(await liveStatus(page), /Run all finished: all 21 steps done/);
  assert.match(await page.locator('.run-clock').innerText(), /Run all: 21 steps in/);
  // The ID token's claims, with the scope each came from and the expiry as a human time.
  const claims = await page.locator('#token-id table.claims').innerText();
  for (const claim of ['iss', 'sub', 'aud', 'exp', 'nonce']) assert.match(claims, new RegExp(`\\b${claim}\\b`));
  assert.match(claims, /(profile|email) scope/);
  assert.match(await page.locator('#token-id .expiry').innerText(), /Expires \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
  // The raw tokens are hidden until revealed.
  assert.match(await page.locator('#token-id .raw-token code').innerText(), /hidden/);
  // The OTP the sandbox "sent" is in the inbox; the inspector lists every call.
  assert.equal(await page.locator('.inbox .otp').count(), 1);
  // 21 steps; step 0 makes two calls (the worker token, then the environment's type).
  assert.equal(await page.locator('#inspector .exchanges li').count(), 22);
  assert.deepEqual(page.errors, []);

  await page.locator('#token-id').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  // Step cards out of view skip layout (content-visibility): the frame after a jump lays out
  // the ones that came into view; shoot after it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: shotPath('run-all.png') });

  // Security: no secret-shaped value was written to web storage.
  const stored = await page.evaluate(() => JSON.stringify({ s: { ...sessionStorage }, l: { ...localStorage } }));
  assert.ok(stored.includes('pingone-workbench.run.v1'), 'the non-secret run state is saved');
  assert.doesNotMatch(stored, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'no JWT in web storage');
  assert.doesNotMatch(stored, /Wb!/, 'no generated password in web storage');
  await page.close();
});

test('a reload in the middle of a run keeps the run, and Run all then finishes it', async () => {
  const page = await newPage(session.context);
  await page.goto(baseUrl());
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  const step = page.getByRole('button', { name: 'Step', exact: true });
  await step.waitFor({ state: 'visible', timeout: 15_000 });
  for (let n = 0; n <= 12; n++) {
    await step.click();
    await page.locator(`li.step[data-step="${n}"][data-status="done"]`).waitFor({ timeout: 10_000 });
  }
  const appName = await page.locator('input[name=application_name]').inputValue();
  await page.reload();
  await page.locator('.notice').filter({ hasText: 'Restored the run after the reload' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('input[name=application_name]').inputValue(), appName);
  // The sandbox restarts (its worker is fetched again) and the finished steps are replayed.
  await page.locator('.notice').filter({ hasText: 'finished steps were replayed' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('li.step[data-status="done"]').count(), 13);
  await page.getByRole('button', { name: 'Run all', exact: true }).click();
  await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('li.step[data-status="done"]').count(), 21);
  assert.deepEqual(page.errors, []);
  await page.evaluate(() => sessionStorage.clear());
  await page.close();
});

test('usable at 360 px wide: no horizontal scrolling, the run controls are reachable', async () => {
  const page = await newPage(session.context);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(baseUrl());
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  const runAll = page.getByRole('button', { name: 'Run all', exact: true });
  await runAll.waitFor({ state: 'visible', timeout: 15_000 });
  await runAll.click();
  await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ timeout: 60_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 360 px`);
  assert.deepEqual(page.errors, []);
  await page.evaluate(() => sessionStorage.clear());
  await page.close();
});
