//! A body as text: JSON is indented and highlighted (key order kept), anything else verbatim.

use crate::json::{pretty_tokens, Tok};
use leptos::prelude::*;

#[component]
pub fn JsonView(#[prop(into)] text: String, #[prop(optional)] label: &'static str) -> impl IntoView {
    let body = match pretty_tokens(&text) {
        Some(tokens) => tokens
            .into_iter()
            .map(|(kind, s)| match kind {
                Tok::Space => s.into_any(),
                _ => view! { <span class=kind.class()>{s}</span> }.into_any(),
            })
            .collect_view()
            .into_any(),
        None if text.is_empty() => view! { <span class="muted">"(empty body)"</span> }.into_any(),
        None => text.into_any(),
    };
    view! {
        <pre class="code json" tabindex="0" aria-label=label>
            <code>{body}</code>
        </pre>
    }
}
