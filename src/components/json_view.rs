//! A body as text: JSON is indented and highlighted (key order kept), anything else verbatim.

use crate::json::pretty_html;
use leptos::prelude::*;

#[component]
pub fn JsonView(#[prop(into)] text: String, #[prop(optional)] label: &'static str) -> impl IntoView {
    let body = match pretty_html(&text) {
        // Escaped by `pretty_html`: the body's text never becomes markup.
        Some(html) => view! { <code inner_html=html></code> }.into_any(),
        None if text.is_empty() => view! {
            <code>
                <span class="muted">"(empty body)"</span>
            </code>
        }
        .into_any(),
        None => view! { <code>{text}</code> }.into_any(),
    };
    view! {
        <pre class="code json" tabindex="0" aria-label=label>
            {body}
        </pre>
    }
}
