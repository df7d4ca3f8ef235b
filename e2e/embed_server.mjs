// A static server for the embed tests (e2e/embed.test.mjs), in the test's own process: serves
// directories under URL prefixes (a build at `/`, a `--public-url /docs/workbench/` build under
// that path), in-memory fixture pages, and sends the strict Content-Security-Policy of
// docs/embedding.md with every response. The app's own index.html gets the policy plus the
// sha256 of Trunk's inline boot script (the "hash" way of docs/embedding.md).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { contentType, fileIn } from './static_files.mjs';

/** The policy docs/embedding.md documents for pages that embed the workbench or serve it. */
export const STRICT_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** `'sha256-…'` of every inline `<script>` of an HTML page (Trunk's boot script). */
export function inlineScriptHashes(html) {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => !/\bsrc\s*=/.test(m[0].slice(0, m[0].indexOf('>'))))
    .map((m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
}

/** The policy for one HTML page: `csp`, plus hashes of its inline scripts if any. */
export function policyFor(html, csp = STRICT_CSP) {
  const hashes = inlineScriptHashes(html);
  if (hashes.length === 0) return csp;
  return csp.replace("script-src 'self'", `script-src 'self' ${hashes.join(' ')}`);
}

/**
 * Starts the server: `mounts` is `[{ prefix: '/docs/workbench/', dir }]` (longest prefix wins),
 * `fixtures` maps a path to `{ type, body }`, `csp` is the policy (a function of the server's
 * own URL, or a string), `cors` adds `Access-Control-Allow-Origin: *`. Resolves to
 * `{ url, close() }`.
 */
export function serve({ mounts = [], fixtures = {}, csp = STRICT_CSP, cors = false }) {
  let policy = typeof csp === 'string' ? csp : STRICT_CSP;
  const extra = cors ? { 'access-control-allow-origin': '*' } : {};
  const sorted = mounts
    .map((m) => ({ prefix: m.prefix, dir: resolve(m.dir) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const server = createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url, 'http://localhost');
      let body;
      let type;
      if (fixtures[pathname]) {
        ({ body, type } = fixtures[pathname]);
      } else {
        const m = sorted.find((x) => pathname.startsWith(x.prefix));
        const file = m && (await fileIn(m.dir, decodeURIComponent(pathname.slice(m.prefix.length)) || 'index.html'));
        if (!file) {
          res.writeHead(404, { 'content-type': 'text/plain', 'content-security-policy': policy, ...extra }).end('not found\n');
          return;
        }
        body = await readFile(file);
        type = contentType(file);
      }
      const header = type.startsWith('text/html') ? policyFor(body.toString(), policy) : policy;
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'content-security-policy': header, ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      if (typeof csp === 'function') policy = csp(url);
      ok({
        url,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
      });
    });
  });
}
