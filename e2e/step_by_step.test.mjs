// Step mode, keyboard only: the person presses "Step" for each call in PingOne's documented
// order, reads the one-time passcode in the sandbox inbox and types it, then finishes the run.
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

const card = (page, n) => page.locator(`li.step[data-step="${n}"]`);

test('step by step with the OTP typed from the sandbox inbox', async () => {
  const page = await newPage(session.context);
  await page.goto(baseUrl());
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  const step = page.getByRole('button', { name: 'Step', exact: true });
  await step.waitFor({ state: 'visible', timeout: 15_000 });

  // Steps 0-16 in documented order, one key press each.
  for (let n = 0; n <= 16; n++) {
    assert.match(await page.locator('#next-step').innerText(), new RegExp(`Next: step ${n} `));
    await step.focus();
    await page.keyboard.press('Enter');
    await card(page, n).and(page.locator('[data-status="done"]')).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('li.step[data-status="done"]').count(), n + 1, `only step ${n} ran`);
  }
  await page.locator('[data-flow-status="OTP_REQUIRED"]').waitFor();

  // Step 17 waits for the person.
  await step.focus();
  await page.keyboard.press('Enter');
  await card(page, 17).and(page.locator('[data-status="needs input"]')).waitFor({ timeout: 10_000 });
  assert.match(await page.locator('.live-status').innerText(), /Step 17 needs the one-time passcode/);

  const otp = (await page.locator('.inbox .otp').first().innerText()).trim();
  assert.match(otp, /^\d{6}$/);
  const input = page.getByRole('textbox', { name: 'One-time passcode' });
  await input.focus();
  await page.keyboard.type(otp);
  await page.keyboard.press('Enter');
  await card(page, 17).and(page.locator('[data-status="done"]')).waitFor({ timeout: 10_000 });
  await page.locator('[data-flow-status="COMPLETED"]').waitFor();

  for (const n of [18, 19, 20]) {
    await step.focus();
    await page.keyboard.press('Enter');
    await card(page, n).and(page.locator('[data-status="done"]')).waitFor({ timeout: 10_000 });
  }
  await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ state: 'visible' });
  assert.equal(await page.locator('li.step[data-status="done"]').count(), 21);

  // The inspector shows the otp.check call with the code masked, and offers Copy as curl.
  await page.locator('#inspector .exchange', { hasText: 'step 17' }).first().click();
  const detail = await page.locator('#inspector-detail').innerText();
  assert.match(detail, /otp\.check/);
  assert.match(detail, /\$OTP/);
  assert.ok(!detail.includes(otp), 'the OTP is masked in the inspector');
  assert.equal(await page.getByRole('button', { name: 'Copy as curl' }).count(), 1);
  assert.deepEqual(page.errors, []);
  await page.evaluate(() => sessionStorage.clear());
  await page.close();
});
