//! ID token verification in the browser (OpenID Connect Core §3.1.3.7): the environment's
//! discovery document, its JWKS, the RS256 signature checked with WebCrypto, then the claim
//! checks of `pingone::idtoken` (iss, aud, exp, iat with clock skew, nonce, at_hash).
//!
//! The documents are fetched through the mode's transport and the configured auth root (a
//! proxied run cannot follow `jwks_uri`, which names PingOne's own host). The expected issuer is
//! the discovery document's, after checking that the document is this environment's
//! (`.../{envId}/as`) and, outside the proxy, that it is the configured auth host's.

use crate::crypto;
use leptos::prelude::*;
use crate::state::{Mode, Store};
use crate::transport::Transport;
use pingone::http::{HttpRequest, Method};
use pingone::idtoken::{
    check_id_token, select_jwk, split_jws, IdTokenExpectations, IdTokenReport, Jwks, OpenIdConfiguration,
    SignatureVerdict,
};

/// Fetches `url` through the store's transport and parses JSON.
async fn get_json<T: serde::de::DeserializeOwned>(store: &Store, url: &str) -> Result<T, String> {
    let transport = store.ensure_transport().await.map_err(|e| e.to_string())?;
    let mut request = HttpRequest::new(Method::Get, url);
    request.headers.set("Accept", "application/json");
    transport.prepare(&mut request);
    let response = transport.send(request).await.map_err(|e| e.to_string())?;
    if response.status != 200 {
        return Err(format!("GET {url} answered {}", response.status));
    }
    serde_json::from_str(&response.body).map_err(|e| format!("GET {url}: unreadable JSON ({e})"))
}

/// Verifies `id_token` (issued with `access_token`) for the store's run.
pub async fn verify_token(store: Store, id_token: &str, access_token: Option<&str>) -> Result<IdTokenReport, String> {
    let (discovery_url, jwks_url, configured_issuer, env_id, live) = store.wf.with_untracked(|s| {
        (
            s.config.discovery_url(),
            s.config.jwks_url(),
            s.config.issuer(),
            s.config.environment_id.clone(),
            store.mode.get_untracked() == Mode::Live,
        )
    });
    let jws = split_jws(id_token).map_err(|e| format!("the ID token is not a JWS: {e}"))?;
    let discovery: OpenIdConfiguration = get_json(&store, &discovery_url).await?;
    if !discovery.issuer.ends_with(&format!("/{env_id}/as")) {
        return Err(format!("the discovery document's issuer {} is not this environment's", discovery.issuer));
    }
    if !live {
        discovery.check_issuer(&configured_issuer).map_err(|e| e.to_string())?;
    }
    let jwks: Jwks = get_json(&store, &jwks_url).await?;
    let verdict = match (jws.alg(), select_jwk(&jwks, jws.kid())) {
        (Some("RS256"), Ok(key)) => match (key.n.as_deref(), key.e.as_deref()) {
            (Some(n), Some(e)) => match crypto::verify_rs256(n, e, &jws.signing_input, &jws.signature).await {
                Ok(true) => SignatureVerdict::Valid,
                Ok(false) => SignatureVerdict::Invalid,
                // WebCrypto refuses malformed keys or signatures: not verified, so not trusted.
                Err(_) => SignatureVerdict::Invalid,
            },
            _ => SignatureVerdict::NotVerified,
        },
        _ => SignatureVerdict::NotVerified,
    };
    let at_digest = match access_token {
        Some(t) => Some(crypto::sha256(t.as_bytes()).await.map_err(|e| e.to_string())?),
        None => None,
    };
    let now_s = (js_sys::Date::now() / 1000.0) as u64;
    let expected = store
        .wf
        .with_untracked(|s| IdTokenExpectations::for_run(s, &discovery.issuer, now_s))
        .ok_or("the run has no application or authorize nonce to check the token against")?;
    Ok(check_id_token(&jws, &expected, at_digest.as_deref(), &jwks, verdict))
}

/// Verifies the run's ID token and puts the report in `store.id_token_check`.
pub async fn verify_run(store: Store) {
    let tokens = store.wf.with_untracked(|s| s.secrets.tokens.clone());
    let Some(tokens) = tokens else { return };
    let Some(id_token) = tokens.id_token.as_ref() else {
        store.id_token_check.set(Some(Err("the token response has no ID token (was `openid` requested?)".into())));
        return;
    };
    store.id_token_check.set(None);
    let generation = store.generation.get_value();
    let result = verify_token(store, id_token.expose(), Some(tokens.access_token.expose())).await;
    if store.generation.get_value() != generation {
        return;
    }
    // The verification panel is its own polite live region: the run's announcement stays.
    store.id_token_check.set(Some(result));
}
