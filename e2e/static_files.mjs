// File lookup shared by the e2e static servers (serve.mjs, embed_server.mjs): content types and a
// path resolved inside a root directory, never outside it.
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type of a file, by its extension. */
export const contentType = (file) => TYPES[extname(file)] ?? 'application/octet-stream';

/**
 * The file `rel` (already URL-decoded) names under `root`: a directory gives its index.html;
 * `null` when it is missing or would escape the root. With `spaFallback`, a missing path without
 * an extension gives the root's index.html (client-side routes such as /callback).
 */
export async function fileIn(root, rel, { spaFallback = false } = {}) {
  const clean = normalize(rel).replace(/^([/\\])+/, '');
  const file = join(root, clean);
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    const s = await stat(file);
    if (s.isFile()) return file;
    if (s.isDirectory()) return fileIn(root, join(clean, 'index.html'), { spaFallback });
  } catch {
    if (spaFallback && !extname(clean)) return join(root, 'index.html');
  }
  return null;
}
