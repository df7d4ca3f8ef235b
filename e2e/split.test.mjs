// Code splitting (src/lazy.rs, scripts/wasm-split.sh): the page downloads what renders the
// workflow; the engine and the result panels come on first use, and a chunk that cannot be
// downloaded fails the step with a message instead of breaking the app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, launch, newPage } from './lib.mjs';

let session;

before(async () => {
  session = await launch();
});
after(async () => {
  await session?.close();
});

const chunk = /\/workbench-[0-9a-f]+\.([a-z0-9_]+)\.wasm$/;
const card = (page, n) => page.locator(`li.step[data-step="${n}"]`);

async function freshPage() {
  const page = await newPage(session.context);
  const chunks = [];
  page.on('request', (r) => {
    const m = new URL(r.url()).pathname.match(chunk);
    if (m) chunks.push(m[1]);
  });
  // A new tab: its sessionStorage holds no saved run (restoring one needs the engine at once).
  await page.goto(baseUrl());
  await page.getByRole('button', { name: 'Run all', exact: true }).waitFor({ state: 'visible', timeout: 15_000 });
  return { page, chunks };
}

test('the page fetches the engine and the result panels only when a run needs them', async () => {
  const { page, chunks } = await freshPage();
  // The whole workflow is on the page (21 step cards, the empty panels) without any chunk.
  assert.equal(await page.locator('li.step').count(), 21);
  await page.getByText('No calls yet. Press Run all or Step.').waitFor();
  await page.waitForTimeout(500);
  assert.deepEqual(chunks, [], 'no chunk before a run');

  await page.getByRole('button', { name: 'Run all', exact: true }).click();
  await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await page.locator('li.step[data-status="done"]').count(), 21);
  assert.ok(chunks.includes('split_engine'), chunks.join(', '));
  assert.ok(chunks.includes('split_views'), chunks.join(', '));
  assert.equal(new Set(chunks).size, chunks.length, `each chunk fetched once: ${chunks.join(', ')}`);
  assert.deepEqual(page.errors, []);

  // After a reload the saved run is decoded by the engine, so its chunk comes at once.
  chunks.length = 0;
  await page.reload();
  await page.getByText('Restored the run after the reload').first().waitFor({ timeout: 15_000 });
  assert.ok(chunks.includes('split_engine'), chunks.join(', '));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a chunk that cannot be downloaded fails the step with a message; the next try loads it', async () => {
  const { page } = await freshPage();
  await page.route(/\.split_engine\.wasm$/, (route) => route.abort('internetdisconnected'));
  const step = page.getByRole('button', { name: 'Step', exact: true });
  await step.click();
  await card(page, 0).and(page.locator('[data-status="failed"]')).waitFor({ timeout: 10_000 });
  assert.match(await card(page, 0).innerText(), /could not be downloaded/);
  // Logged by the chunk loader, but nothing panicked: the app still answers.
  assert.deepEqual(page.errors.filter((e) => e.startsWith('pageerror')), []);

  await page.unroute(/\.split_engine\.wasm$/);
  await step.click();
  await card(page, 0).and(page.locator('[data-status="done"]')).waitFor({ timeout: 10_000 });
  assert.deepEqual(page.errors.filter((e) => e.startsWith('pageerror')), []);
  await page.close();
});
