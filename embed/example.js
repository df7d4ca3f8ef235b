// The example page's side of the embeds (docs/embedding.md): frames the full workbench with this
// page as its host origin, sizes the iframe from its `resize` messages, logs every message, and
// sends the iframe a `run` command. No inline script: the page runs under a strict CSP.
const frame = document.getElementById('full');
const src = new URL(frame.dataset.src, import.meta.url);
src.searchParams.set('host-origin', location.origin);
frame.src = src.href;
const frameOrigin = src.origin;

/** Every message from an embed, in order (the e2e tests read it). */
const messages = (window.workbenchMessages = []);
const log = document.getElementById('log');

window.addEventListener('message', (event) => {
  const m = event.data;
  if (!m || m.source !== 'pingone-workbench' || m.version !== 1) return;
  // From the iframe (its window, its origin), or from a script include on this page.
  const fromFrame = event.source === frame.contentWindow && event.origin === frameOrigin;
  const fromPage = event.source === window && event.origin === location.origin;
  if (!fromFrame && !fromPage) return;
  messages.push(m);
  if (fromFrame && m.type === 'resize') frame.style.height = `${m.height}px`;
  const item = document.createElement('li');
  const detail =
    m.type === 'step-finished' ? `step ${m.step} ${m.status}` :
    m.type === 'run-finished' ? `${m.outcome}, ${m.done} of ${m.total}` :
    m.type === 'resize' ? `${m.height} px` :
    m.type === 'error' ? `${m.code}: ${m.message}` : '';
  item.textContent = `${m.instance} · ${m.type}${detail ? ` · ${detail}` : ''}`;
  log.prepend(item);
});

document.getElementById('run-full').addEventListener('click', () => {
  frame.contentWindow.postMessage({ target: 'pingone-workbench', version: 1, type: 'run' }, frameOrigin);
});
