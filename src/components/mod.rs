//! Reusable pieces of the workbench UI.

pub mod cleanup;
pub mod error_panel;
pub mod field;
pub mod inbox;
pub mod inspector;
pub mod json_view;
pub mod step_card;
pub mod tokens;

use wasm_bindgen::JsCast;

/// Moves keyboard focus to an element by id (after the view updated). The id is looked up in
/// the tree `near` belongs to: the document, or the shadow root of an embed (an element inside a
/// shadow root is out of `document.getElementById`'s reach).
pub fn focus(near: Option<web_sys::Node>, id: &'static str) {
    leptos::prelude::request_animation_frame(move || {
        let in_shadow = near
            .map(|n| n.get_root_node())
            .and_then(|root| root.dyn_into::<web_sys::ShadowRoot>().ok())
            .and_then(|shadow| shadow.get_element_by_id(id));
        let el = in_shadow
            .or_else(|| web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = el {
            let _ = el.focus();
        }
    });
}

/// Epoch milliseconds as `2026-11-29 04:12:33 UTC`.
pub fn utc_time(ms: f64) -> String {
    let iso = String::from(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string());
    // 2026-11-29T04:12:33.123Z
    match (iso.get(0..10), iso.get(11..19)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => iso,
    }
}

/// A non-negative number with one decimal (`7.3`), formatted as integers: the app then links no
/// floating-point formatting code.
pub fn tenths(x: f64) -> String {
    let t = (x.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", t / 10, t % 10)
}

/// "in 59 min" / "3 min ago" relative to now.
pub fn relative(ms: f64) -> String {
    let delta = (ms - js_sys::Date::now()) / 1000.0;
    let abs = delta.abs();
    let text = if abs < 60.0 {
        format!("{} s", abs.round() as u64)
    } else if abs < 3600.0 {
        format!("{} min", (abs / 60.0).round() as u64)
    } else if abs < 172_800.0 {
        format!("{} h", tenths(abs / 3600.0))
    } else {
        format!("{} days", (abs / 86_400.0).round() as u64)
    };
    if delta >= 0.0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// `2026-11-29T04:12:33.123Z` as `2026-11-29 04:12:33 UTC` (anything else verbatim).
pub fn iso_to_utc(iso: &str) -> String {
    match (iso.get(0..10), iso.get(11..19)) {
        (Some(d), Some(t)) if iso.as_bytes().get(10) == Some(&b'T') => format!("{d} {t} UTC"),
        _ => iso.to_string(),
    }
}
