//! The sandbox as a dedicated Web Worker (feature `worker`, bin `sandbox-worker`): the page
//! downloads the engine only when a run first needs it, and RSA signing never blocks the UI.
//!
//! Protocol (JSON strings through `postMessage`, one engine per worker; serde's externally tagged
//! enums, which the page reads without buffering a message first):
//! * worker → page, once the module is running: `"loaded"`
//! * page → worker: `{"init":{"config":SandboxConfig}}` → `{"ready":{"info":SandboxInfo}}`
//! * page → worker: `{"request":{"id":N,"now_ms":T,"request":HttpRequest}}`
//!   → `{"response":{"id":N,"response":HttpResponse|null,"outbox":[OutboxMessage]}}`
//!   (`response` is `null` when fault injection dropped it after the engine acted)
//! * page → worker: `{"set_fail_rate":{"fail_rate":P}}` (no answer)
//! * anything unreadable → `{"error":{"id":N|null,"message":"..."}}`

use crate::{OutboxMessage, Outcome, Sandbox, SandboxConfig, SandboxInfo};
use pingone::http::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// A message from the page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWorker {
    Init { config: SandboxConfig },
    Request { id: u64, now_ms: u64, request: HttpRequest },
    /// Fault injection from now on (the in-page sandbox setting).
    SetFailRate { fail_rate: f64 },
}

/// A message to the page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FromWorker<'a> {
    Loaded,
    Ready { info: SandboxInfo },
    Response { id: u64, response: Option<HttpResponse>, outbox: &'a [OutboxMessage] },
    Error { id: Option<u64>, message: String },
}

thread_local! {
    static ENGINE: RefCell<Option<Sandbox>> = const { RefCell::new(None) };
}

/// Answers one message (pure apart from the thread-local engine).
fn answer(message: &str) -> String {
    let reply = |m: FromWorker<'_>| serde_json::to_string(&m).unwrap_or_default();
    match serde_json::from_str::<ToWorker>(message) {
        Ok(ToWorker::Init { config }) => {
            let sandbox = Sandbox::new(config);
            let info = sandbox.info();
            ENGINE.with(|e| *e.borrow_mut() = Some(sandbox));
            reply(FromWorker::Ready { info })
        }
        Ok(ToWorker::Request { id, now_ms, request }) => ENGINE.with(|e| match e.borrow_mut().as_mut() {
            Some(sandbox) => {
                let response = match sandbox.handle_with_faults(&request, now_ms) {
                    Outcome::Answer(r) => Some(r),
                    Outcome::Dropped(_) => None,
                };
                reply(FromWorker::Response { id, response, outbox: sandbox.outbox() })
            }
            None => reply(FromWorker::Error { id: Some(id), message: "the sandbox was not initialised".into() }),
        }),
        Ok(ToWorker::SetFailRate { fail_rate }) => {
            ENGINE.with(|e| {
                if let Some(sandbox) = e.borrow_mut().as_mut() {
                    sandbox.set_fail_rate(fail_rate);
                }
            });
            String::new()
        }
        Err(e) => reply(FromWorker::Error { id: None, message: format!("unreadable message: {e}") }),
    }
}

/// Installs the message handler and tells the page the worker is listening.
pub fn run() -> Result<(), JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().dyn_into()?;
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        let reply = answer(&text);
        if !reply.is_empty() {
            let _ = reply_scope.post_message(&JsValue::from_str(&reply));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let loaded = serde_json::to_string(&FromWorker::Loaded).unwrap_or_default();
    scope.post_message(&JsValue::from_str(&loaded))
}
