// Shared helpers for the e2e tests (run with `node --test e2e/`, see scripts/test.sh).
//  - playwright-core comes from the tools dir that scripts/setup.sh fills ($TOOLS_DIR/node_modules),
//    not from a package.json here.
//  - The app is served by scripts/test.sh; its address arrives in E2E_BASE_URL.
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const toolsDir = process.env.TOOLS_DIR ?? join(homedir(), '.cache', 'pingone-workbench');
const require = createRequire(join(toolsDir, 'package.json'));
export const { chromium } = require('playwright-core');

/**
 * Where a test saves a screenshot named `name`: `E2E_SHOTS_DIR` when set (`./run docs-shots` sets
 * it to docs/, the pictures the README shows), else target/e2e-shots/, which git ignores, so a
 * test run never modifies a tracked file.
 */
export function shotPath(name) {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
  const dir = process.env.E2E_SHOTS_DIR ?? join(repo, 'target', 'e2e-shots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Base URL of the served release build, with a trailing slash. */
export function baseUrl() {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL is not set: run the e2e suite through scripts/test.sh');
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Launches headless Chromium (/usr/bin/chromium) with a fresh profile directory (Playwright takes
 * it as launchPersistentContext's userDataDir, not as a --user-data-dir flag).
 * Returns `{ context, close() }`; call `close()` when done.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'workbench-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page that records console errors and uncaught exceptions in `page.errors`. */
export async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console.error: ${m.text()}`);
  });
  return page;
}
