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

/// A 16-character password from WebCrypto random bytes that satisfies PingOne's default password
/// policy whatever the bytes (`pingone::secret::password_from_random`).
pub fn random_password() -> Result<String, CryptoError> {
    Ok(pingone::secret::password_from_random(&random_bytes(16)?).expose().to_string())
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

fn js_object(pairs: &[(&str, wasm_bindgen::JsValue)]) -> Result<js_sys::Object, CryptoError> {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &(*k).into(), v).map_err(js_err)?;
    }
    Ok(o)
}

/// Verifies an RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature with an RSA public key given as
/// a JWK (`n`, `e` base64url), through `crypto.subtle.importKey` + `verify`.
pub async fn verify_rs256(n: &str, e: &str, signing_input: &[u8], signature: &[u8]) -> Result<bool, CryptoError> {
    let subtle = crypto()?.subtle();
    let jwk = js_object(&[
        ("kty", "RSA".into()),
        ("n", n.into()),
        ("e", e.into()),
        ("alg", "RS256".into()),
        ("ext", true.into()),
    ])?;
    let algorithm = js_object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])?;
    let usages = js_sys::Array::of1(&"verify".into());
    let key = subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages).map_err(js_err)?;
    let key: web_sys::CryptoKey = JsFuture::from(key).await.map_err(js_err)?.unchecked_into();
    let verdict = subtle
        .verify_with_str_and_u8_array_and_u8_array("RSASSA-PKCS1-v1_5", &key, signature, signing_input)
        .map_err(js_err)?;
    Ok(JsFuture::from(verdict).await.map_err(js_err)?.as_bool().unwrap_or(false))
}

/// HMAC (RFC 2104) with `hash` ("SHA-1", "SHA-256", "SHA-512") through `crypto.subtle`: what
/// RFC 6238 TOTP codes are computed with.
pub async fn hmac(hash: &str, key: &[u8], message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let subtle = crypto()?.subtle();
    let algorithm = js_object(&[("name", "HMAC".into()), ("hash", hash.into())])?;
    let usages = js_sys::Array::of1(&"sign".into());
    let raw = js_sys::Uint8Array::from(key);
    let key = subtle.import_key_with_object("raw", &raw, &algorithm, false, &usages).map_err(js_err)?;
    let key: web_sys::CryptoKey = JsFuture::from(key).await.map_err(js_err)?.unchecked_into();
    let mac = subtle.sign_with_str_and_u8_array("HMAC", &key, message).map_err(js_err)?;
    let mac: js_sys::ArrayBuffer =
        JsFuture::from(mac).await.map_err(js_err)?.dyn_into().map_err(|_| CryptoError::Failed("HMAC is not an ArrayBuffer".into()))?;
    Ok(js_sys::Uint8Array::new(&mac).to_vec())
}
