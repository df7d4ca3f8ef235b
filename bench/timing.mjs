// Measures the served release build (BENCH_URL) in headless Chromium:
//  1. navigation start -> first rendered step list (first `li.step` in the DOM), 5 fresh loads;
//  2. Run all over the in-page sandbox: the app's own clock (click -> last step settled) and the
//     click -> decoded ID token visible wall time, 5 runs;
//  3. the same after pointing at the run controls for a second first, as a person does (the app
//     starts the sandbox worker when the pointer reaches them), 5 runs interleaved with 2.
// With BENCH_BASE_URL (another build, bench/timing.sh's TIMING_BASE) it first measures 1. for both
// builds, alternating load by load, and prints both medians and their ratio.
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
  }
  const firstRender = [];
  const runs = { cold: { appClock: [], wall: [] }, pointed: { appClock: [], wall: [] } };
  for (let i = 0; i < 2 * N; i++) {
    // Alternate the two ways of starting, so that both see the same machine.
    const pointed = i % 2 === 1;
    const { page, ms } = await loadToStepList(session.context, url);
    if (!pointed) firstRender.push(ms);

    const runAll = page.getByRole('button', { name: 'Run all', exact: true });
    if (pointed) {
      await runAll.hover();
      await page.waitForTimeout(1000);
    }
    const t0 = Date.now();
    await runAll.click();
    await page.getByRole('heading', { name: 'Decoded ID token' }).waitFor({ state: 'visible', timeout: 60_000 });
    const r = pointed ? runs.pointed : runs.cold;
    r.wall.push(Date.now() - t0);
    const clock = await page.locator('.run-clock').innerText();
    const m = clock.match(/in ([\d.]+) (ms|s)/);
    if (m) r.appClock.push(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
    if (page.errors.length) throw new Error(`page errors: ${page.errors.join('; ')}`);
    await page.close();
  }
  console.log(`first step list rendered: median ${median(firstRender).toFixed(0)} ms after navigation start (loads: ${fmt(firstRender)})`);
  for (const [name, r] of [['clicked at once', runs.cold], ['after pointing at it for 1 s', runs.pointed]]) {
    console.log(`Run all ${name}, 21 calls, in-page sandbox: median ${median(r.appClock).toFixed(0)} ms on the app's clock (runs: ${fmt(r.appClock)})`);
    console.log(`Run all ${name}, click to decoded ID token visible: median ${median(r.wall).toFixed(0)} ms (runs: ${fmt(r.wall)})`);
  }
  console.log(`ratio, click to decoded ID token, clicked at once / pointed first: ${(median(runs.cold.wall) / median(runs.pointed.wall)).toFixed(2)}`);
} finally {
  await session.close();
}
