//! The in-page PingOne: the `sandbox` engine answers requests inside the browser, with a cookie
//! jar standing in for the browser's (the flow API needs its cookies back).
//!
//! The release build runs the engine in a dedicated Web Worker (`sandbox-worker`, built by Trunk
//! next to the app) that is downloaded only when a run first needs it: the page's own download
//! stays small and RSA signing never blocks the UI. With the `inline-sandbox` feature (the browser
//! tests) the engine is linked into the app and answers on the page's thread instead.

use super::{sleep_ms, url_path, Transport, TransportError};
use pingone::http::{CookieJar, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A hook that may rewrite a response before the workflow sees it (fault injection in tests
/// and in the "what if PingOne answered this?" experiments).
pub type ResponseHook = Box<dyn FnMut(&HttpRequest, &mut HttpResponse)>;

/// How to start a sandbox tenant (the worker's `SandboxConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SandboxStart {
    /// Seeds every id, secret, OTP and code.
    pub seed: u64,
    /// Always 0 for the engine: the page simulates latency itself (`set_latency_ms`).
    pub latency_ms: u64,
    /// Fraction of calls answered 503/429 or dropped after acting (fault injection).
    pub fail_rate: f64,
    /// The environment's type is PRODUCTION (to try the app's guard).
    pub production: bool,
    /// How resume answers in pi.flow, by the sandbox's name for it (`sandbox::ResumeAnswer`):
    /// `redirect` (302, PingOne's developer docs) or `json`.
    pub resume: &'static str,
    /// What flow calls need, by the sandbox's name for it (`sandbox::FlowAuth`): `cookies`, or
    /// `worker_token_and_cookies` (one Ping sample).
    pub flow_auth: &'static str,
}

/// The sandbox tenant: environment and the worker app's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SandboxTenant {
    pub env_id: String,
    pub worker_client_id: String,
    pub worker_client_secret: String,
}

/// A one-time passcode the sandbox "sent" to an MFA device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OutboxMessage {
    pub to: String,
    pub device_id: String,
    pub otp: String,
    pub sent_at: String,
}

#[derive(Clone)]
pub struct SandboxTransport {
    engine: Rc<Engine>,
    tenant: Rc<SandboxTenant>,
    outbox: Rc<RefCell<Vec<OutboxMessage>>>,
    jar: Rc<RefCell<CookieJar>>,
    latency_ms: Rc<Cell<u32>>,
    hook: Rc<RefCell<Option<ResponseHook>>>,
}

enum Engine {
    #[cfg_attr(feature = "inline-sandbox", allow(dead_code))]
    Worker(worker::Link),
    #[cfg(feature = "inline-sandbox")]
    InPage(RefCell<sandbox::Sandbox>),
}

impl SandboxTransport {
    /// Starts a sandbox tenant: in the worker (downloading it on first use) or, with the
    /// `inline-sandbox` feature, on the page's thread.
    pub async fn start(start: SandboxStart, latency_ms: u32) -> Result<SandboxTransport, TransportError> {
        let (engine, tenant) = Engine::start(start).await?;
        Ok(SandboxTransport {
            engine: Rc::new(engine),
            tenant: Rc::new(tenant),
            outbox: Rc::new(RefCell::new(Vec::new())),
            jar: Rc::new(RefCell::new(CookieJar::new())),
            latency_ms: Rc::new(Cell::new(latency_ms)),
            hook: Rc::new(RefCell::new(None)),
        })
    }

    /// The sandbox tenant: environment id and the worker app's credentials.
    pub fn tenant(&self) -> &SandboxTenant {
        &self.tenant
    }

    /// Everything the sandbox "sent" (OTPs to email and SMS devices), oldest first, as of the
    /// last answered request.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.outbox.try_borrow().map(|o| o.clone()).unwrap_or_default()
    }

    /// Simulated network latency per call (0 = as fast as the engine).
    pub fn set_latency_ms(&self, ms: u32) {
        self.latency_ms.set(ms);
    }

    pub fn set_response_hook(&self, hook: Option<ResponseHook>) {
        if let Ok(mut h) = self.hook.try_borrow_mut() {
            *h = hook;
        }
    }

    /// Forgets the flow cookies (a new sign-on in a "new browser").
    pub fn clear_cookies(&self) {
        if let Ok(mut jar) = self.jar.try_borrow_mut() {
            jar.clear();
        }
    }

    /// Fault injection from now on: the fraction of calls answered 503/429 or dropped after the
    /// engine acted on them.
    pub fn set_fail_rate(&self, fail_rate: f64) {
        match &*self.engine {
            Engine::Worker(link) => link.set_fail_rate(fail_rate),
            #[cfg(feature = "inline-sandbox")]
            Engine::InPage(engine) => {
                if let Ok(mut e) = engine.try_borrow_mut() {
                    e.set_fail_rate(fail_rate);
                }
            }
        }
    }
}

impl Engine {
    #[cfg(feature = "inline-sandbox")]
    async fn start(start: SandboxStart) -> Result<(Engine, SandboxTenant), TransportError> {
        // Decoded exactly as the worker decodes its `Init` message, so both engines read the
        // settings' names the same way (an unknown name is an error, never a silent default).
        let config: sandbox::SandboxConfig = serde_json::to_value(start)
            .and_then(serde_json::from_value)
            .map_err(|e| TransportError::Sandbox(format!("sandbox settings: {e}")))?;
        let engine = sandbox::Sandbox::new(config);
        let info = engine.info();
        let tenant = SandboxTenant {
            env_id: info.env_id,
            worker_client_id: info.worker_client_id,
            worker_client_secret: info.worker_client_secret,
        };
        Ok((Engine::InPage(RefCell::new(engine)), tenant))
    }

    #[cfg(not(feature = "inline-sandbox"))]
    async fn start(start: SandboxStart) -> Result<(Engine, SandboxTenant), TransportError> {
        // A worker that failed to load or start (a dropped download, say) gets one more try,
        // like any call the network lost; the first reason is the one reported.
        let (link, tenant) = match worker::Link::start(start).await {
            Ok(started) => started,
            Err(first) => worker::Link::start(start).await.map_err(|_| first)?,
        };
        Ok((Engine::Worker(link), tenant))
    }

    /// The engine's answer: `None` when the response was lost after the engine acted on it.
    async fn answer(&self, request: &HttpRequest, now_ms: u64) -> Result<(Option<HttpResponse>, Option<Vec<OutboxMessage>>), TransportError> {
        match self {
            Engine::Worker(link) => link.send(request, now_ms).await,
            #[cfg(feature = "inline-sandbox")]
            Engine::InPage(engine) => {
                let mut engine =
                    engine.try_borrow_mut().map_err(|_| TransportError::Sandbox("the engine is busy".into()))?;
                let response = match engine.handle_with_faults(request, now_ms) {
                    sandbox::Outcome::Answer(r) => Some(r),
                    sandbox::Outcome::Dropped(_) => None,
                };
                let outbox = engine
                    .outbox()
                    .iter()
                    .map(|m| OutboxMessage {
                        to: m.to.clone(),
                        device_id: m.device_id.clone(),
                        otp: m.otp.clone(),
                        sent_at: m.sent_at.clone(),
                    })
                    .collect();
                Ok((response, Some(outbox)))
            }
        }
    }
}

impl Transport for SandboxTransport {
    fn prepare(&self, request: &mut HttpRequest) {
        let cookie = self.jar.try_borrow().ok().and_then(|jar| jar.header_for(url_path(&request.url)));
        match cookie {
            Some(c) => request.headers.set("Cookie", c),
            None => request.headers.remove("Cookie"),
        }
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let latency = self.latency_ms.get();
        if latency > 0 {
            sleep_ms(latency).await;
        }
        let now_ms = js_sys::Date::now() as u64;
        let (response, outbox) = self.engine.answer(&request, now_ms).await?;
        if let (Some(outbox), Ok(mut mine)) = (outbox, self.outbox.try_borrow_mut()) {
            *mine = outbox;
        }
        let Some(mut response) = response else {
            return Err(TransportError::Network {
                url: request.url.clone(),
                reason: "the sandbox dropped the response after acting on the request (injected fault)".into(),
            });
        };
        if let Ok(mut hook) = self.hook.try_borrow_mut() {
            if let Some(h) = hook.as_mut() {
                h(&request, &mut response);
            }
        }
        if let Ok(mut jar) = self.jar.try_borrow_mut() {
            jar.store_from(&response, url_path(&request.url));
        }
        Ok(response)
    }
}

/// The page's side of the worker protocol (see `sandbox::worker`).
#[cfg_attr(feature = "inline-sandbox", allow(dead_code))]
mod worker {
    use super::{OutboxMessage, SandboxStart, SandboxTenant, TransportError};
    use super::sleep_ms;
    use futures::channel::oneshot;
    use futures::future::Either;
    use pingone::http::{HttpRequest, HttpResponse};
    use serde::{Deserialize, Serialize};
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Blob, BlobPropertyBag, ErrorEvent, MessageEvent, Url, Worker};

    /// The file names Trunk gives the worker (`data-type="worker"` keeps the bin's name).
    const LOADER: &str = "sandbox-worker_loader.js";
    const SCRIPT: &str = "sandbox-worker.js";
    const WASM: &str = "sandbox-worker_bg.wasm";

    #[wasm_bindgen(inline_js = "export function app_base() { return new URL('../../', import.meta.url).href; }")]
    extern "C" {
        /// Where the app's files are served from (this snippet lives in `snippets/<crate>/`),
        /// whatever `--public-url` the build used and whichever page embeds the app.
        fn app_base() -> String;
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum ToWorker<'a> {
        Init { config: SandboxStart },
        Request { id: u64, now_ms: u64, request: &'a HttpRequest },
        SetFailRate { fail_rate: f64 },
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum FromWorker {
        Loaded,
        Ready { info: SandboxTenant },
        Response { id: u64, response: Option<HttpResponse>, outbox: Vec<OutboxMessage> },
        Error { id: Option<u64>, message: String },
    }

    type Answer = Result<(Option<HttpResponse>, Option<Vec<OutboxMessage>>), TransportError>;

    #[derive(Default)]
    struct Pending {
        loaded: Option<oneshot::Sender<Result<(), TransportError>>>,
        ready: Option<oneshot::Sender<Result<SandboxTenant, TransportError>>>,
        calls: HashMap<u64, oneshot::Sender<Answer>>,
        failed: Option<TransportError>,
    }

    impl Pending {
        /// The worker is gone: every waiting call learns why.
        fn fail_all(&mut self, error: TransportError) {
            if let Some(tx) = self.loaded.take() {
                let _ = tx.send(Err(error.clone()));
            }
            if let Some(tx) = self.ready.take() {
                let _ = tx.send(Err(error.clone()));
            }
            for (_, tx) in self.calls.drain() {
                let _ = tx.send(Err(error.clone()));
            }
            self.failed = Some(error);
        }
    }

    pub struct Link {
        worker: Worker,
        pending: Rc<RefCell<Pending>>,
        next_id: Cell<u64>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut(ErrorEvent)>,
    }

    impl Drop for Link {
        fn drop(&mut self) {
            self.worker.set_onmessage(None);
            self.worker.set_onerror(None);
            self.worker.terminate();
        }
    }

    fn js_error(e: JsValue) -> TransportError {
        TransportError::Sandbox(e.as_string().unwrap_or_else(|| format!("{e:?}")))
    }

    /// How long the worker may take to download, compile and start its tenant.
    const START_TIMEOUT_MS: u32 = 30_000;

    /// The answer of `rx`, or an error once `START_TIMEOUT_MS` passed without one.
    async fn within_start_timeout<T>(rx: oneshot::Receiver<Result<T, TransportError>>, what: &str) -> Result<T, TransportError> {
        let timeout = Box::pin(sleep_ms(START_TIMEOUT_MS));
        match futures::future::select(rx, timeout).await {
            Either::Left((answer, _)) => answer.map_err(|_| TransportError::Sandbox("the sandbox worker stopped".into()))?,
            Either::Right(_) => Err(TransportError::Sandbox(format!(
                "the sandbox worker did not {what} within {} s (a slow network, or sandbox-worker.js or its .wasm not served next to the app)",
                START_TIMEOUT_MS / 1000
            ))),
        }
    }

    /// A same-origin worker starts from Trunk's loader; an app embedded from another origin
    /// starts from a small blob script that imports the worker by absolute URL (returned too, to
    /// be revoked once the worker has loaded).
    fn spawn() -> Result<(Worker, Option<String>), TransportError> {
        let base = app_base();
        let page_origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        if base.starts_with(&format!("{page_origin}/")) {
            return Ok((Worker::new(&format!("{base}{LOADER}")).map_err(js_error)?, None));
        }
        let script = format!(
            "importScripts({});wasm_bindgen({});",
            serde_json::to_string(&format!("{base}{SCRIPT}")).unwrap_or_default(),
            serde_json::to_string(&format!("{base}{WASM}")).unwrap_or_default()
        );
        let parts = js_sys::Array::of1(&JsValue::from_str(&script));
        let options = BlobPropertyBag::new();
        options.set_type("text/javascript");
        let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js_error)?;
        let url = Url::create_object_url_with_blob(&blob).map_err(js_error)?;
        match Worker::new(&url) {
            Ok(worker) => Ok((worker, Some(url))),
            Err(e) => {
                let _ = Url::revoke_object_url(&url);
                Err(js_error(e))
            }
        }
    }

    impl Link {
        pub async fn start(start: SandboxStart) -> Result<(Link, SandboxTenant), TransportError> {
            let (worker, blob_url) = spawn()?;
            let pending = Rc::new(RefCell::new(Pending::default()));
            let (loaded_tx, loaded_rx) = oneshot::channel();
            pending.borrow_mut().loaded = Some(loaded_tx);

            let on_message = {
                let pending = pending.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    let Ok(mut p) = pending.try_borrow_mut() else { return };
                    let text = event.data().as_string().unwrap_or_default();
                    match serde_json::from_str::<FromWorker>(&text) {
                        Ok(FromWorker::Loaded) => {
                            if let Some(tx) = p.loaded.take() {
                                let _ = tx.send(Ok(()));
                            }
                        }
                        Ok(FromWorker::Ready { info }) => {
                            if let Some(tx) = p.ready.take() {
                                let _ = tx.send(Ok(info));
                            }
                        }
                        Ok(FromWorker::Response { id, response, outbox }) => {
                            if let Some(tx) = p.calls.remove(&id) {
                                let _ = tx.send(Ok((response, Some(outbox))));
                            }
                        }
                        Ok(FromWorker::Error { id: Some(id), message }) => {
                            if let Some(tx) = p.calls.remove(&id) {
                                let _ = tx.send(Err(TransportError::Sandbox(message)));
                            }
                        }
                        Ok(FromWorker::Error { id: None, message }) => p.fail_all(TransportError::Sandbox(message)),
                        Err(e) => p.fail_all(TransportError::Sandbox(format!("unreadable answer from the worker: {e}"))),
                    }
                })
            };
            let on_error = {
                let pending = pending.clone();
                Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
                    let message = event.message();
                    let reason = if message.is_empty() {
                        "the sandbox worker could not be loaded (is sandbox-worker.js served next to the app?)".to_string()
                    } else {
                        format!("the sandbox worker failed: {message}")
                    };
                    if let Ok(mut p) = pending.try_borrow_mut() {
                        p.fail_all(TransportError::Sandbox(reason));
                    }
                })
            };
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            let link = Link { worker, pending, next_id: Cell::new(1), _on_message: on_message, _on_error: on_error };

            let loaded = within_start_timeout(loaded_rx, "load").await;
            if let Some(url) = blob_url {
                let _ = Url::revoke_object_url(&url);
            }
            loaded?;
            let (ready_tx, ready_rx) = oneshot::channel();
            link.pending.borrow_mut().ready = Some(ready_tx);
            link.post(&ToWorker::Init { config: start })?;
            let tenant = within_start_timeout(ready_rx, "start its tenant").await?;
            Ok((link, tenant))
        }

        pub fn set_fail_rate(&self, fail_rate: f64) {
            let _ = self.post(&ToWorker::SetFailRate { fail_rate });
        }

        fn post(&self, message: &ToWorker<'_>) -> Result<(), TransportError> {
            let text = serde_json::to_string(message).map_err(|e| TransportError::Build(e.to_string()))?;
            self.worker.post_message(&JsValue::from_str(&text)).map_err(js_error)
        }

        pub async fn send(&self, request: &HttpRequest, now_ms: u64) -> Answer {
            let id = self.next_id.get();
            self.next_id.set(id + 1);
            let (tx, rx) = oneshot::channel();
            {
                let mut p = self.pending.try_borrow_mut().map_err(|_| TransportError::Sandbox("the link is busy".into()))?;
                if let Some(e) = &p.failed {
                    return Err(e.clone());
                }
                p.calls.insert(id, tx);
            }
            self.post(&ToWorker::Request { id, now_ms, request })?;
            rx.await.map_err(|_| TransportError::Sandbox("the sandbox worker stopped".into()))?
        }
    }
}
