// PingOne Sign-On Workbench: the embed loader (docs/embedding.md). Trunk copies this folder to
// `<dist>/embed/`, so the loader's URL is stable while the app's files carry content hashes.
//
//   <script type="module" src="https://docs.example.com/workbench/embed/embed.js"></script>
//   <div data-pingone-workbench data-phases="sign-on,tokens"></div>
//
// It starts the embed's module (`workbench-embed.js` and its wasm, next to the app's index.html:
// it works under any `--public-url`; the app's own page never loads it) once per page, with the
// app's stylesheet (its hashed name stamped here by the build), then mounts
// one instance into each `[data-pingone-workbench]` element, in the element's shadow root (the
// app's CSS and ids stay inside). Elements added later are mounted too; removed ones are
// unmounted. `embed/frame.html` uses it to boot an iframe embed without inline script.
//
// While `window.PingOneWorkbench` exists, the embed module's `main` mounts nothing by itself.

const LOADER_VERSION = 1;
// Stamped by the build (scripts/embed-version.sh); empty in the source: the embed module's version
// and the app stylesheet's hashed file name.
const EMBED_VERSION = '';
const APP_STYLESHEET = '';
const SELECTOR = '[data-pingone-workbench]';
const appBase = new URL('../', import.meta.url);

if (!window.PingOneWorkbench) {
  const instances = new Map(); // host element -> instance id (or a pending promise)
  let app; // { bindings, css }

  /** The embed's module (stable names next to index.html, fetched with the build's version) and
   *  the app's stylesheet (its hashed name stamped here by the build; without the stamp, read from
   *  Trunk's index.html). */
  async function locate() {
    const v = EMBED_VERSION ? `?v=${EMBED_VERSION}` : '';
    const js = new URL(`workbench-embed.js${v}`, appBase).href;
    const wasm = new URL(`workbench-embed_bg.wasm${v}`, appBase).href;
    if (APP_STYLESHEET) return { js, wasm, css: new URL(APP_STYLESHEET, appBase).href };
    const index = new URL('index.html', appBase);
    const response = await fetch(index, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${index} answered ${response.status}`);
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    const href = doc.querySelector('link[rel="stylesheet"][href$=".css"]')?.getAttribute('href');
    return { js, wasm, css: href ? new URL(href, index).href : null };
  }

  async function start() {
    const files = await locate();
    const bindings = await import(files.js);
    await bindings.default({ module_or_path: files.wasm });
    app = { bindings, css: files.css };
    return app;
  }

  function stylesheet(css) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = css;
    return link;
  }

  function loaded(link) {
    return new Promise((resolve) => {
      link.addEventListener('load', resolve, { once: true });
      link.addEventListener('error', resolve, { once: true });
    });
  }

  /** Mounts one instance into `host` (once); resolves to its id. */
  async function mount(host) {
    if (instances.has(host)) return instances.get(host);
    const pending = (async () => {
      const { bindings, css } = await ready;
      const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
      const container = document.createElement('div');
      container.className = 'wb-mount';
      const parts = [container];
      if (css) {
        const link = stylesheet(css);
        parts.unshift(link);
        root.replaceChildren(...parts);
        await loaded(link);
      } else {
        root.replaceChildren(...parts);
      }
      const id = bindings.mount(host, container);
      instances.set(host, id);
      return id;
    })();
    instances.set(host, pending);
    return pending;
  }

  /** Removes the instance in `host` (its worker stops once a run in progress has ended). */
  async function unmount(host) {
    const id = await instances.get(host);
    if (id === undefined) return false;
    instances.delete(host);
    host.shadowRoot?.replaceChildren();
    return app.bindings.unmount(id);
  }

  function scan(root = document) {
    const hosts = root.matches?.(SELECTOR) ? [root] : [...root.querySelectorAll(SELECTOR)];
    return Promise.all(hosts.map(mount));
  }

  function report(error) {
    console.error(`PingOne Sign-On Workbench embed: ${error.message ?? error}`);
  }

  const api = {
    version: LOADER_VERSION,
    /** The app's directory (where index.html is). */
    base: appBase.href,
    /** Resolves when the module has started. */
    ready: null,
    mount,
    unmount,
    scan,
    /** Host element -> instance id. */
    instances,
  };
  // Before the module starts: its `main` sees this and leaves mounting to the loader.
  window.PingOneWorkbench = api;
  const ready = start();
  api.ready = ready.then(() => undefined);

  ready.then(async () => {
    if (document.body?.hasAttribute('data-pingone-workbench-frame')) {
      // embed/frame.html: this page is the iframe embed; options are in its query string.
      if (app.css) {
        const link = stylesheet(app.css);
        document.head.append(link);
        await loaded(link);
      }
      app.bindings.mountFrame(document.body);
      return;
    }
    await scan();
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) if (n.nodeType === 1) scan(n).catch(report);
        for (const n of r.removedNodes) {
          if (n.nodeType !== 1) continue;
          for (const host of instances.keys()) if (!host.isConnected && n.contains(host)) unmount(host).catch(report);
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }).catch(report);
}
