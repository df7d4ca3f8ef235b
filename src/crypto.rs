//! Randomness and hashing from the platform (WebCrypto): `crypto.getRandomValues` and
//! `crypto.subtle.digest("SHA-256")`. No hashing crate is compiled into the app.

use pingone::oauth::{pkce_challenge_from_digest, pkce_verifier, random_token, AuthorizeSecrets};
use thiserror::Error;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    #[error("WebCrypto is not available in this page ({0})")]
    Unavailable(&'static str),
    #[error("WebCrypto failed: {0}")]
    Failed(String),
}

fn crypto() -> Result<web_sys::Crypto, CryptoError> {
    web_sys::window()
        .ok_or(CryptoError::Unavailable("no window"))?
        .crypto()
        .map_err(|_| CryptoError::Unavailable("no window.crypto"))
}

fn js_err(e: wasm_bindgen::JsValue) -> CryptoError {
    CryptoError::Failed(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

/// `n` bytes from the platform's CSPRNG.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut buf = vec![0u8; n];
    crypto()?.get_random_values_with_u8_array(&mut buf).map_err(js_err)?;
    Ok(buf)
}

/// A random u64 (the sandbox seed).
pub fn random_u64() -> Result<u64, CryptoError> {
    let b = random_bytes(8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(&b);
    Ok(u64::from_le_bytes(a))
}

const ALNUM: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A short lowercase suffix that keeps names unique across reruns (no look-alike characters).
pub fn random_suffix(len: usize) -> Result<String, CryptoError> {
    Ok(random_bytes(len)?.into_iter().map(|b| ALNUM[(b as usize) % ALNUM.len()] as char).collect())
}

/// A strong password that satisfies PingOne's default password policy (upper, lower, digit,
/// special, length >= 8, no repeated runs).
pub fn random_password() -> Result<String, CryptoError> {
    let body = random_token(&random_bytes(12)?).replace(['-', '_'], "x");
    Ok(format!("Wb!{body}7a"))
}

/// SHA-256 through `crypto.subtle.digest`.
pub async fn sha256(data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let subtle = crypto()?.subtle();
    let promise = subtle.digest_with_str_and_u8_array("SHA-256", data).map_err(js_err)?;
    let buf = JsFuture::from(promise).await.map_err(js_err)?;
    let buf: js_sys::ArrayBuffer =
        buf.dyn_into().map_err(|_| CryptoError::Failed("digest is not an ArrayBuffer".into()))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Fresh PKCE verifier (32 random bytes) + S256 challenge, `state` and `nonce` for one authorize.
pub async fn authorize_secrets() -> Result<AuthorizeSecrets, CryptoError> {
    let verifier = pkce_verifier(&random_bytes(32)?).map_err(|e| CryptoError::Failed(e.to_string()))?;
    let digest = sha256(verifier.expose().as_bytes()).await?;
    Ok(AuthorizeSecrets {
        state: random_token(&random_bytes(16)?),
        nonce: random_token(&random_bytes(16)?),
        code_challenge: pkce_challenge_from_digest(&digest),
        code_verifier: verifier,
    })
}
