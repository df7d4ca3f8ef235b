// Measures the served release build (BENCH_URL) in headless Chromium:
//  1. navigation start -> first rendered step list (first `li.step` in the DOM), 5 fresh loads;
//  2. Run all over the in-page sandbox: the app's own clock (click -> last step settled) and the
//     click -> decoded ID token in the DOM (the page's clock, from the click event), 5 runs;
//  3. the same after pointing at the run controls for a second first, as a person does (the app
//     starts the sandbox worker when the pointer reaches them), 5 runs interleaved with 2.
// With BENCH_BASE_URL (another build, bench/timing.sh's TIMING_BASE) it first measures 1. for both
// builds, alternating load by load, and prints both medians and their ratio; then the same for Run
// all after pointing at it (app clock and click -> decoded ID token).
// Prints one line per figure with the median and the samples.
import { launch, newPage } from '../e2e/lib.mjs';

const url = process.env.BENCH_URL;
if (!url) throw new Error('BENCH_URL is not set: run bench/timing.sh');
const N = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(' ');

/**
 * Clicks Run all and waits, inside the page, for the "Decoded ID token" heading: a MutationObserver
 * checks on DOM changes only. (Playwright's role locators poll the page every animation frame,
 * computing ARIA roles and visibility over the whole DOM: during a run that took a good part of
 * the page's main thread, the very thread the run needs, and slowed the run being measured.)
 * Returns the page's own clock from the click event to the heading in the DOM.
 */
async function runAllToDecodedToken(page) {
  const appeared = page.evaluate(
    () =>
      new Promise((resolve) => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Run all');
        let clickedAt;
        button.addEventListener('click', (e) => { clickedAt = e.timeStamp; }, { capture: true, once: true });
        const shown = () => [...document.querySelectorAll('h3, h4')].some((h) => h.textContent.trim() === 'Decoded ID token');
        new MutationObserver((_, observer) => {
          if (clickedAt !== undefined && shown()) {
            observer.disconnect();
            resolve(performance.now() - clickedAt);
          }
        }).observe(document.body, { childList: true, subtree: true, characterData: true });
      }),
  );
  // The listener and observer are in place once evaluate has run its synchronous part; a
  // round trip makes sure of that before the click.
  await page.evaluate(() => 0);
  await page.getByRole('button', { name: 'Run all', exact: true }).click();
  return Promise.race([appeared, page.waitForTimeout(60_000).then(() => { throw new Error('no decoded ID token within 60 s'); })]);
}

/** Navigation start -> first `li.step` in the DOM, in a fresh page; returns the page too. */
async function loadToStepList(context, at) {
  const page = await newPage(context);
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelector('li.step')) {
        window.__firstStepList = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(at, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__firstStepList !== undefined, null, { timeout: 30_000 });
  return { page, ms: await page.evaluate(() => window.__firstStepList) };
}

/** Runs all (already pointed at or not) and returns the app's clock and click -> decoded token. */
async function measureRunAll(page) {
  const wall = await runAllToDecodedToken(page);
  await page.waitForFunction(() => /steps in [\d.]+ m?s/.test(document.querySelector('.run-clock')?.textContent ?? ''), null, { timeout: 30_000 });
  const m = (await page.locator('.run-clock').innerText()).match(/in ([\d.]+) (ms|s)/);
  if (page.errors.length) throw new Error(`page errors: ${page.errors.join('; ')}`);
  return { wall, appClock: Number(m[1]) * (m[2] === 's' ? 1000 : 1) };
}

/** A fresh page of `at` after pointing at Run all for a second (the sandbox worker warms up). */
async function pointedPage(context, at) {
  const { page } = await loadToStepList(context, at);
  await page.getByRole('button', { name: 'Run all', exact: true }).hover();
  await page.waitForTimeout(1000);
  return page;
}

const session = await launch();
try {
  const base = process.env.BENCH_BASE_URL;
  if (base) {
    const side = { base: [], current: [] };
    for (let i = 0; i < 2 * N; i++) {
      // Alternate which build loads first, so that both see the same machine.
      const which = (i % 2 === 0) === (Math.floor(i / 2) % 2 === 0) ? 'base' : 'current';
      const { page, ms } = await loadToStepList(session.context, which === 'base' ? base : url);
      side[which].push(ms);
      await page.close();
    }
    console.log(`side by side, first step list rendered: base ${median(side.base).toFixed(0)} ms (${fmt(side.base)}), current ${median(side.current).toFixed(0)} ms (${fmt(side.current)}); ratio base/current ${(median(side.base) / median(side.current)).toFixed(2)}`);
    const run = { base: { appClock: [], wall: [] }, current: { appClock: [], wall: [] } };
    for (let i = 0; i < 2 * N; i++) {
      const which = (i % 2 === 0) === (Math.floor(i / 2) % 2 === 0) ? 'base' : 'current';
      const page = await pointedPage(session.context, which === 'base' ? base : url);
      const { appClock, wall } = await measureRunAll(page);
      run[which].appClock.push(appClock);
      run[which].wall.push(wall);
      await page.close();
    }
    for (const k of ['appClock', 'wall']) {
      const what = k === 'appClock' ? "Run all after pointing, app's clock" : 'Run all after pointing, click to decoded ID token';
      console.log(`side by side, ${what}: base ${median(run.base[k]).toFixed(0)} ms (${fmt(run.base[k])}), current ${median(run.current[k]).toFixed(0)} ms (${fmt(run.current[k])}); ratio base/current ${(median(run.base[k]) / median(run.current[k])).toFixed(2)}`);
    }
  }
  // TIMING_SIDE_ONLY=1 (bench/timing.sh): only the side-by-side figures above.
  if (!(base && process.env.BENCH_SIDE_ONLY === '1')) {
    const firstRender = [];
    const runs = { cold: { appClock: [], wall: [] }, pointed: { appClock: [], wall: [] } };
    for (let i = 0; i < 2 * N; i++) {
      // Alternate the two ways of starting, so that both see the same machine.
      const pointed = i % 2 === 1;
      const { page, ms } = await loadToStepList(session.context, url);
      if (!pointed) firstRender.push(ms);

      if (pointed) {
        await page.getByRole('button', { name: 'Run all', exact: true }).hover();
        await page.waitForTimeout(1000);
      }
      const r = pointed ? runs.pointed : runs.cold;
      const { appClock, wall } = await measureRunAll(page);
      r.wall.push(wall);
      r.appClock.push(appClock);
      await page.close();
    }
    console.log(`first step list rendered: median ${median(firstRender).toFixed(0)} ms after navigation start (loads: ${fmt(firstRender)})`);
    for (const [name, r] of [['clicked at once', runs.cold], ['after pointing at it for 1 s', runs.pointed]]) {
      console.log(`Run all ${name}, 21 calls, in-page sandbox: median ${median(r.appClock).toFixed(0)} ms on the app's clock (runs: ${fmt(r.appClock)})`);
      console.log(`Run all ${name}, click to decoded ID token in the DOM: median ${median(r.wall).toFixed(0)} ms (runs: ${fmt(r.wall)})`);
    }
    console.log(`ratio, click to decoded ID token, clicked at once / pointed first: ${(median(runs.cold.wall) / median(runs.pointed.wall)).toFixed(2)}`);
  }
} finally {
  await session.close();
}
