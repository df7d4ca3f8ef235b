//! The in-page PingOne: the `sandbox` engine answers requests inside the page, with a cookie
//! jar standing in for the browser's (the flow API needs its cookies back).

use super::{sleep_ms, url_path, Transport, TransportError};
use pingone::http::{CookieJar, HttpRequest, HttpResponse};
use sandbox::{OutboxMessage, Sandbox, SandboxConfig, SandboxInfo};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A hook that may rewrite a response before the workflow sees it (fault injection in tests
/// and in the "what if PingOne answered this?" experiments).
pub type ResponseHook = Box<dyn FnMut(&HttpRequest, &mut HttpResponse)>;

#[derive(Clone)]
pub struct SandboxTransport {
    engine: Rc<RefCell<Sandbox>>,
    jar: Rc<RefCell<CookieJar>>,
    latency_ms: Rc<Cell<u32>>,
    hook: Rc<RefCell<Option<ResponseHook>>>,
}

impl SandboxTransport {
    pub fn new(seed: u64, latency_ms: u32) -> SandboxTransport {
        SandboxTransport {
            engine: Rc::new(RefCell::new(Sandbox::new(SandboxConfig { seed, latency_ms: 0 }))),
            jar: Rc::new(RefCell::new(CookieJar::new())),
            latency_ms: Rc::new(Cell::new(latency_ms)),
            hook: Rc::new(RefCell::new(None)),
        }
    }

    /// The sandbox tenant: environment id and the worker app's credentials.
    pub fn info(&self) -> Option<SandboxInfo> {
        self.engine.try_borrow().ok().map(|e| e.info())
    }

    /// Everything the sandbox "sent" (OTPs to email and SMS devices), oldest first.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.engine.try_borrow().map(|e| e.outbox().to_vec()).unwrap_or_default()
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
        let mut response = {
            let mut engine =
                self.engine.try_borrow_mut().map_err(|_| TransportError::Sandbox("the engine is busy".into()))?;
            engine.handle(&request, now_ms)
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
