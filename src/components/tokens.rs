//! The token response and the decoded access and ID tokens: header, claims, expiry as a human
//! time, and which requested scope each claim came from.

use crate::components::json_view::JsonView;
use crate::components::{relative, utc_time};
use crate::state::Store;
use leptos::prelude::*;
use pingone::oauth::{decode_jwt, scope_of_claim};

const TIME_CLAIMS: &[&str] = &["exp", "iat", "nbf", "auth_time", "updated_at"];

/// Where a claim comes from, for the "from" column.
fn claim_origin(claim: &str, requested: &[String]) -> (String, &'static str) {
    match scope_of_claim(claim) {
        Some(scope) if requested.iter().any(|s| s == scope) => (format!("{scope} scope"), "scope"),
        Some(scope) => (format!("{scope} scope (not requested)"), "scope other"),
        None if claim == "nonce" => ("your authorize request".into(), "proto"),
        None if claim == "scope" => ("the granted scopes".into(), "proto"),
        None if claim == "env" || claim == "org" || claim.starts_with("p1.") => ("PingOne".into(), "p1"),
        None => ("openid (protocol)".into(), "proto"),
    }
}

fn claim_value(claim: &str, v: &serde_json::Value) -> (String, Option<String>) {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let human = (TIME_CLAIMS.contains(&claim))
        .then(|| v.as_f64())
        .flatten()
        .map(|secs| format!("{} ({})", utc_time(secs * 1000.0), relative(secs * 1000.0)));
    (text, human)
}

#[component]
fn TokenView(name: &'static str, slug: &'static str, raw: String, requested: Vec<String>) -> impl IntoView {
    let shown = RwSignal::new(false);
    let heading = format!("Decoded {name}");
    let decoded = decode_jwt(&raw);
    let raw_len = raw.len();
    let body = match decoded {
        Err(e) => {
            view! { <p class="error-message">{format!("This {name} is not a decodable JWT: {e}")}</p> }.into_any()
        }
        Ok(jwt) => {
            let exp = jwt.claims.get("exp").and_then(|v| v.as_f64());
            let rows = jwt
                .claims
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let (value, human) = claim_value(k, v);
                            let (origin, kind) = claim_origin(k, &requested);
                            view! {
                                <tr>
                                    <th scope="row">
                                        <code>{k.clone()}</code>
                                    </th>
                                    <td>
                                        <code class="value">{value}</code>
                                        {human.map(|h| view! { <div class="small muted">{h}</div> })}
                                    </td>
                                    <td>
                                        <span class=format!("origin {kind}")>{origin}</span>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()
                })
                .unwrap_or_default();
            view! {
                {exp
                    .map(|e| {
                        view! {
                            <p class="expiry">
                                "Expires " <strong>{utc_time(e * 1000.0)}</strong> " (" {relative(e * 1000.0)} ")"
                            </p>
                        }
                    })}
                <h5>"Header"</h5>
                <JsonView text=jwt.header.to_string() label=name/>
                <table class="claims">
                    <caption>{format!("{name} claims")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Claim"</th>
                            <th scope="col">"Value"</th>
                            <th scope="col">"From"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                <p class="small muted">
                    {if slug == "id" {
                        format!("Signature: {} bytes, verified below with the environment's JWKS.", jwt.signature_len)
                    } else {
                        format!("Signature: {} bytes. PingOne access tokens are for resource servers to verify; decoded here for display.", jwt.signature_len)
                    }}
                </p>
            }
            .into_any()
        }
    };
    view! {
        <section class="token" id=format!("token-{slug}") aria-labelledby=format!("token-{slug}-title")>
            <h4 id=format!("token-{slug}-title")>{heading}</h4>
            <div class="raw-token">
                <code class="value">
                    {move || if shown.get() { raw.clone() } else { format!("•••••• ({raw_len} characters, hidden)") }}
                </code>
                <button
                    type="button"
                    class="ghost small"
                    aria-pressed=move || if shown.get() { "true" } else { "false" }
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { format!("Hide raw {name}") } else { format!("Reveal raw {name}") }}
                </button>
            </div>
            {body}
        </section>
    }
}

#[component]
pub fn TokensPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let tokens = Memo::new(move |_| store.wf.with(|s| s.secrets.tokens.clone()));
    let requested = Memo::new(move |_| store.wf.with(|s| s.config.scopes.clone()));
    move || match tokens.get() {
        None => view! {
            <p class="muted">"No tokens yet: step 20 exchanges the authorization code for them."</p>
        }
        .into_any(),
        Some(t) => {
            let requested = requested.get();
            let granted = t.scope.clone().unwrap_or_default();
            view! {
                <div class="tokens">
                    <dl class="token-response">
                        <div class="input-row">
                            <dt>"token_type"</dt>
                            <dd><code>{t.token_type.clone()}</code></dd>
                        </div>
                        <div class="input-row">
                            <dt>"expires_in"</dt>
                            <dd><code>{t.expires_in}</code> " seconds"</dd>
                        </div>
                        <div class="input-row">
                            <dt>"scope"</dt>
                            <dd><code>{granted}</code></dd>
                        </div>
                        <div class="input-row">
                            <dt>"refresh_token"</dt>
                            <dd>
                                {if t.refresh_token.is_some() {
                                    "•••••• (issued, hidden)"
                                } else {
                                    "not issued (the app has no REFRESH_TOKEN grant)"
                                }}
                            </dd>
                        </div>
                    </dl>
                    {t.id_token.as_ref().map(|id| view! {
                        <TokenView name="ID token" slug="id" raw=id.expose().to_string() requested=requested.clone()/>
                        <IdTokenChecks/>
                    })}
                    <TokenView name="access token" slug="access" raw=t.access_token.expose().to_string() requested=requested/>
                </div>
            }
            .into_any()
        }
    }
}

/// Each check of the ID token's verification, passed or failed, with its reason.
#[component]
fn IdTokenChecks() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <section class="id-token-checks" aria-labelledby="id-token-checks-title" aria-live="polite">
            <h4 id="id-token-checks-title">"ID token verification"</h4>
            {move || match store.id_token_check.get() {
                None => view! { <p class="muted">"Verifying: discovery document, JWKS, RS256 signature (WebCrypto), claims…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error-message" data-verdict="error">{format!("Not verified: {e}")}</p> }.into_any(),
                Some(Ok(report)) => {
                    let valid = report.is_valid();
                    let rows = report
                        .checks
                        .iter()
                        .map(|c| {
                            let (mark, class) = if c.passed { ("passed", "ok") } else { ("failed", "bad") };
                            view! {
                                <li class=format!("check {class}") data-check=c.name.as_str()>
                                    <code>{c.name.as_str()}</code> " " <strong>{mark}</strong> ": " {c.reason.clone()}
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <p class=if valid { "verdict ok" } else { "verdict bad" } data-verdict=if valid { "valid" } else { "invalid" }>
                            {if valid { "Valid: every check passed." } else { "Invalid: do not trust this token." }}
                        </p>
                        <ul class="checks">{rows}</ul>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
