//! The inspector: every call of the run, exactly as sent and received (secrets masked), with
//! Copy as curl.

use crate::components::json_view::JsonView;
use crate::components::step_card::format_ms;
use crate::curl::to_curl;
use crate::state::Store;
use crate::transcript::Exchange;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pingone::http::Headers;

/// Copies text to the clipboard; the result says whether it worked.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| e.as_string().unwrap_or_else(|| "the browser refused".to_string()))
}

/// Offers a text file for download.
pub fn download(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag).map_err(|_| "could not make the file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "could not make a download link")?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement =
        wasm_bindgen::JsCast::dyn_into(document.create_element("a").map_err(|_| "could not make a link")?)
            .map_err(|_| "could not make a link")?;
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

#[component]
fn HeadersTable(headers: Headers, caption: &'static str) -> impl IntoView {
    if headers.0.is_empty() {
        return view! { <p class="muted small">"No headers"</p> }.into_any();
    }
    view! {
        <table class="headers">
            <caption class="sr-only">{caption}</caption>
            <tbody>
                {headers
                    .0
                    .into_iter()
                    .map(|(name, value)| {
                        view! {
                            <tr>
                                <th scope="row">{name}</th>
                                <td>
                                    <code>{value}</code>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        300..=399 => "redirect",
        _ => "bad",
    }
}

#[component]
fn ExchangeDetail(exchange: Exchange) -> impl IntoView {
    let curl = to_curl(&exchange.request);
    let copied = RwSignal::new(String::new());
    let curl_for_copy = curl.clone();
    let step_title = pingone::workflow::StepId::from_number(exchange.step).map(|s| s.step().title).unwrap_or("");
    let Exchange { seq, step, action, request, response, transport_error, duration_ms, replayed, .. } = exchange;
    let req_body = request.body.clone();
    let response_view = match (response, transport_error) {
        (Some(resp), _) => view! {
            <p class="status-line">
                <span class=format!("http-status {}", status_class(resp.status))>{resp.status}</span>
                {duration_ms.map(|d| format!(" · {}", format_ms(d)))}
            </p>
            <HeadersTable headers=resp.headers caption="Response headers"/>
            <JsonView text=resp.body label="Response body"/>
        }
        .into_any(),
        (None, Some(err)) => view! { <p class="error-message">"No response: " {err}</p> }.into_any(),
        (None, None) => view! { <p class="muted">"Waiting for the response…"</p> }.into_any(),
    };
    view! {
        <h3 class="detail-title">
            {format!("Call #{seq} · step {step} ")}
            <span class="muted">{step_title}</span>
            {action.map(|a| view! { " " <code class="tag">{a}</code> })}
            {replayed.then(|| view! { " " <span class="tag">"replayed"</span> })}
        </h3>
        <div class="detail-grid">
            <section aria-label="Request">
                <h4>"Request"</h4>
                <p class="req-line">
                    <code>
                        <span class="method">{request.method.as_str()}</span>
                        " "
                        <span class="url">{request.url.clone()}</span>
                    </code>
                </p>
                <HeadersTable headers=request.headers.clone() caption="Request headers"/>
                {req_body.map(|b| view! { <JsonView text=b label="Request body"/> })}
            </section>
            <section aria-label="Response">
                <h4>"Response"</h4>
                {response_view}
            </section>
        </div>
        <div class="detail-actions">
            <button
                type="button"
                class="secondary"
                on:click=move |_| {
                    let text = curl_for_copy.clone();
                    spawn_local(async move {
                        match copy_text(&text).await {
                            Ok(()) => copied.set("Copied the curl command.".into()),
                            Err(e) => copied.set(format!("Copy failed ({e}): select the command below.")),
                        }
                    });
                }
            >
                "Copy as curl"
            </button>
            <span class="small muted" role="status">{move || copied.get()}</span>
        </div>
        <details class="curl">
            <summary>"curl command"</summary>
            <pre class="code" tabindex="0">
                <code>{curl}</code>
            </pre>
        </details>
    }
}

/// What a call's row in the list shows.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum RowStatus {
    Waiting,
    Answered(u16),
    NoResponse,
}

#[derive(Clone)]
struct Row {
    seq: u32,
    step: u8,
    summary: String,
    status: RowStatus,
}

/// The inspector before the first call: its heading and what it will show. [`Inspector`], in the
/// views chunk, replaces it when the first call is made.
#[component]
pub fn InspectorEmpty() -> impl IntoView {
    view! {
        <section class="panel inspector" id="inspector" aria-labelledby="inspector-title">
            <div class="panel-head">
                <h2 id="inspector-title">"Inspector"</h2>
                <button type="button" class="ghost small" disabled=true>
                    "Follow latest"
                </button>
            </div>
            <InspectorIntro/>
            <p class="muted">"No calls yet. Press Run all or Step."</p>
        </section>
    }
}

#[component]
fn InspectorIntro() -> impl IntoView {
    view! {
        <p class="panel-intro">
            "Every call exactly as sent. Secrets appear as shell variables ("
            <code>"$WORKER_TOKEN"</code>
            ", "
            <code>"$PASSWORD"</code>
            ", …) and cookies as ••••••: their values never leave memory."
        </p>
    }
}

#[component]
pub fn Inspector() -> impl IntoView {
    let store = expect_context::<Store>();
    let current = Memo::new(move |_| {
        let sel = store.selected.get();
        store.transcript.with(|t| match sel {
            Some(s) => t.iter().find(|e| e.seq == s).cloned(),
            None => t.last().cloned(),
        })
    });
    let selected_seq = Memo::new(move |_| current.with(|c| c.as_ref().map(|e| e.seq)));
    // One row per call, keyed by what a row shows that can change (its status arrives with the
    // response): a new call adds one row instead of rebuilding the list.
    let rows = move || {
        store.transcript.with(|t| {
            t.iter()
                .map(|e| {
                    let status = match (e.response.as_ref(), &e.transport_error) {
                        (Some(r), _) => RowStatus::Answered(r.status),
                        (None, Some(_)) => RowStatus::NoResponse,
                        (None, None) => RowStatus::Waiting,
                    };
                    Row { seq: e.seq, step: e.step, summary: e.summary(), status }
                })
                .collect::<Vec<_>>()
        })
    };
    let row_view = move |row: Row| {
        let Row { seq, step, summary, status } = row;
        let is_sel = move || selected_seq.get() == Some(seq);
        let (class, text) = match status {
            RowStatus::Answered(code) => (status_class(code), code.to_string()),
            RowStatus::NoResponse => ("bad", "error".to_string()),
            RowStatus::Waiting => ("pending", "\u{2026}".to_string()),
        };
        view! {
            <li>
                <button
                    type="button"
                    class="exchange"
                    class:selected=is_sel
                    aria-pressed=move || if is_sel() { "true" } else { "false" }
                    on:click=move |_| store.selected.set(Some(seq))
                >
                    <span class="seq">{format!("#{seq}")}</span>
                    <span class="ex-step">{format!("step {step}")}</span>
                    <span class="ex-sum">{summary}</span>
                    <span class=format!("http-status {class}")>{text}</span>
                </button>
            </li>
        }
    };
    view! {
        <section class="panel inspector" id="inspector" aria-labelledby="inspector-title">
            <div class="panel-head">
                <h2 id="inspector-title">"Inspector"</h2>
                <button
                    type="button"
                    class="ghost small"
                    disabled=move || store.selected.get().is_none()
                    on:click=move |_| store.selected.set(None)
                >
                    "Follow latest"
                </button>
            </div>
            <InspectorIntro/>
            {move || {
                store
                    .transcript
                    .with(|t| t.is_empty())
                    .then(|| view! { <p class="muted">"No calls yet. Press Run all or Step."</p> })
            }}
            <ol class="exchanges" aria-label="Calls">
                <For each=rows key=|row| (row.seq, row.status) children=row_view/>
            </ol>
            <div class="detail" id="inspector-detail" tabindex="-1" aria-live="off">
                {move || current.get().map(|e| view! { <ExchangeDetail exchange=e/> })}
            </div>
        </section>
    }
}
