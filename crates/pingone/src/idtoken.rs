//! ID token verification (OpenID Connect Core §3.1.3.7) as pure checks. The caller fetches the
//! discovery document and the JWKS, picks the key with [`select_jwk`], verifies the signature with
//! WebCrypto (RSASSA-PKCS1-v1_5, SHA-256, the JWK's `n`/`e`) over [`Jws::signing_input`], and
//! hands the verdict to [`check_id_token`], which checks everything else and reports each check.

use crate::oauth::{base64url, decode_jwt, JwtDecodeError};
use crate::workflow::WorkflowState;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// The only signing algorithm accepted (PingOne's default; `none` and HMAC are refused).
pub const ALLOWED_ALG: &str = "RS256";
/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub const DEFAULT_CLOCK_SKEW_S: u64 = 60;

/// The OpenID Provider metadata (`{issuer}/.well-known/openid-configuration`); unknown fields
/// are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdConfiguration {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_types_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
}

/// Why a discovery document cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DiscoveryError {
    #[error("the discovery document names issuer {got}, but it was fetched for {expected}")]
    IssuerMismatch { expected: String, got: String },
}

impl OpenIdConfiguration {
    /// Where the document of an issuer lives (PingOne: `{auth}/{envId}/as/.well-known/openid-configuration`).
    pub fn url_for_issuer(issuer: &str) -> String {
        format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
    }

    /// OpenID Connect Discovery §4.3: `issuer` must be exactly the issuer the document was fetched for.
    pub fn check_issuer(&self, expected: &str) -> Result<(), DiscoveryError> {
        if self.issuer == expected {
            Ok(())
        } else {
            Err(DiscoveryError::IssuerMismatch { expected: expected.to_string(), got: self.issuer.clone() })
        }
    }
}

/// A JSON Web Key Set (`jwks_uri`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    #[serde(default)]
    pub keys: Vec<Jwk>,
}

/// One public key (RFC 7517); RSA keys carry `n` and `e` (base64url, big-endian).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// Why no key could be chosen for a token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeySelectionError {
    #[error("no key with kid `{0}` in the JWKS (fetch the JWKS again if keys were rotated)")]
    UnknownKid(String),
    #[error("the token names no key and the JWKS has {0} candidate keys")]
    NoKid(usize),
    #[error("the JWKS has {0} keys with kid `{1}`")]
    DuplicateKid(usize, String),
    #[error("key `{kid}` is a {kty} key, not RSA")]
    NotRsa { kid: String, kty: String },
    #[error("key `{kid}` is for `{use_}`, not signatures")]
    NotForSignatures { kid: String, use_: String },
    #[error("key `{kid}` is for {alg}, not RS256")]
    WrongAlg { kid: String, alg: String },
    #[error("key `{0}` lacks its modulus `n` or exponent `e`")]
    Incomplete(String),
}

/// Picks the RS256 verification key for a token's `kid`: the key with that `kid`, which must be
/// an RSA signing key; without a `kid`, the set's only key (OpenID Connect Core §10.1).
pub fn select_jwk<'a>(jwks: &'a Jwks, kid: Option<&str>) -> Result<&'a Jwk, KeySelectionError> {
    let key = match kid {
        Some(kid) => {
            let found: Vec<&Jwk> = jwks.keys.iter().filter(|k| k.kid.as_deref() == Some(kid)).collect();
            match found.as_slice() {
                [] => return Err(KeySelectionError::UnknownKid(kid.to_string())),
                [one] => *one,
                many => return Err(KeySelectionError::DuplicateKid(many.len(), kid.to_string())),
            }
        }
        None => match jwks.keys.as_slice() {
            [one] => one,
            all => return Err(KeySelectionError::NoKid(all.len())),
        },
    };
    let name = key.kid.clone().unwrap_or_default();
    if key.kty != "RSA" {
        return Err(KeySelectionError::NotRsa { kid: name, kty: key.kty.clone() });
    }
    if let Some(u) = key.use_.as_deref().filter(|u| *u != "sig") {
        return Err(KeySelectionError::NotForSignatures { kid: name, use_: u.to_string() });
    }
    if let Some(a) = key.alg.as_deref().filter(|a| *a != ALLOWED_ALG) {
        return Err(KeySelectionError::WrongAlg { kid: name, alg: a.to_string() });
    }
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty() && URL_SAFE_NO_PAD.decode(s).is_ok());
    if !present(&key.n) || !present(&key.e) {
        return Err(KeySelectionError::Incomplete(name));
    }
    Ok(key)
}

/// A compact JWS split for verification: what was signed, the signature, header and claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    /// `base64url(header).base64url(payload)` as ASCII bytes: the input of the signature.
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
    pub header: Value,
    pub claims: Value,
}

impl Jws {
    /// The header's `alg`, when it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }
    /// The header's `kid`, when it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}

/// Splits a compact JWS (`header.payload.signature`); verifies nothing.
pub fn split_jws(token: &str) -> Result<Jws, JwtDecodeError> {
    let decoded = decode_jwt(token)?;
    // decode_jwt checked there are exactly three parts.
    let (signing_input, signature) = token.rsplit_once('.').ok_or(JwtDecodeError::Parts(1))?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtDecodeError::Base64("signature"))?;
    Ok(Jws { signing_input: signing_input.as_bytes().to_vec(), signature, header: decoded.header, claims: decoded.claims })
}

/// What the caller's WebCrypto said about the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignatureVerdict {
    /// RSASSA-PKCS1-v1_5 SHA-256 over the signing input verified with the selected JWK.
    Valid,
    /// The signature did not verify.
    Invalid,
    /// Not verified (no usable key, or `alg` is not RS256).
    NotVerified,
}

/// What the token must say: who issued it, for whom, for which authorize request, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenExpectations {
    /// The issuer from the discovery document (PingOne: `{auth}/{envId}/as`).
    pub issuer: String,
    /// The application's id (the OAuth `client_id`).
    pub client_id: String,
    /// The `nonce` sent on this authorize request.
    pub nonce: String,
    /// Now, in seconds since the epoch.
    pub now_s: u64,
    pub clock_skew_s: u64,
}

impl IdTokenExpectations {
    /// Expectations with the default clock skew.
    pub fn new(issuer: &str, client_id: &str, nonce: &str, now_s: u64) -> Self {
        IdTokenExpectations {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            nonce: nonce.to_string(),
            now_s,
            clock_skew_s: DEFAULT_CLOCK_SKEW_S,
        }
    }

    /// The expectations of a run: the issuer (the discovery document's, checked against
    /// [`crate::Region::issuer`] or, for the sandbox, `WorkflowConfig::issuer`), the run's
    /// application id and authorize nonce; `None` before both exist.
    pub fn for_run(state: &WorkflowState, issuer: &str, now_s: u64) -> Option<Self> {
        let client_id = state.created.application_id.as_deref()?;
        let nonce = &state.secrets.authorize.as_ref()?.nonce;
        Some(Self::new(issuer, client_id, nonce, now_s))
    }
}

/// The checks, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CheckName {
    Alg,
    Kid,
    Signature,
    Iss,
    Aud,
    Exp,
    Iat,
    Nonce,
    AtHash,
}

impl CheckName {
    /// The header parameter or claim the check is about (`alg`, `kid`, `iss`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Alg => "alg",
            CheckName::Kid => "kid",
            CheckName::Signature => "signature",
            CheckName::Iss => "iss",
            CheckName::Aud => "aud",
            CheckName::Exp => "exp",
            CheckName::Iat => "iat",
            CheckName::Nonce => "nonce",
            CheckName::AtHash => "at_hash",
        }
    }
}

/// One check and why it passed or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenCheck {
    pub name: CheckName,
    pub passed: bool,
    pub reason: String,
}

/// The overall answer: trust the token only when every check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdTokenVerdict {
    Valid,
    Invalid,
}

/// Every check of one token, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenReport {
    pub checks: Vec<IdTokenCheck>,
}

impl IdTokenReport {
    /// `Valid` only when there are checks and all passed.
    pub fn verdict(&self) -> IdTokenVerdict {
        if !self.checks.is_empty() && self.checks.iter().all(|c| c.passed) {
            IdTokenVerdict::Valid
        } else {
            IdTokenVerdict::Invalid
        }
    }
    /// Shorthand for `verdict() == Valid`.
    pub fn is_valid(&self) -> bool {
        self.verdict() == IdTokenVerdict::Valid
    }
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &IdTokenCheck> {
        self.checks.iter().filter(|c| !c.passed)
    }
    /// The check of this name.
    pub fn check(&self, name: CheckName) -> Option<&IdTokenCheck> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// OIDC `at_hash` for RS256: base64url of the left-most 128 bits of SHA-256(access token).
pub fn at_hash_from_sha256(digest: &[u8]) -> Option<String> {
    (digest.len() == 32).then(|| base64url(&digest[..16]))
}

fn check(name: CheckName, passed: bool, reason: impl Into<String>) -> IdTokenCheck {
    IdTokenCheck { name, passed, reason: reason.into() }
}

/// A NumericDate claim as whole seconds (fractions dropped); `None` if absent or not a number.
fn seconds(claims: &Value, name: &str) -> Option<u64> {
    let v = claims.get(name)?;
    v.as_u64().or_else(|| v.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64))
}

/// Checks a split ID token against the expectations, the JWKS and the caller's signature
/// verdict; `access_token_sha256` is SHA-256 of the access token issued with it, for `at_hash`.
pub fn check_id_token(
    token: &Jws,
    expected: &IdTokenExpectations,
    access_token_sha256: Option<&[u8]>,
    jwks: &Jwks,
    signature: SignatureVerdict,
) -> IdTokenReport {
    let claims = &token.claims;
    let str_claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let mut checks = Vec::with_capacity(9);

    checks.push(match token.alg() {
        Some(ALLOWED_ALG) => check(CheckName::Alg, true, "signed with RS256"),
        Some(other) => check(CheckName::Alg, false, format!("alg is `{other}`; only RS256 is accepted")),
        None => check(CheckName::Alg, false, "the header has no alg"),
    });

    checks.push(match select_jwk(jwks, token.kid()) {
        Ok(k) => check(CheckName::Kid, true, format!("RSA key `{}` found in the JWKS", k.kid.as_deref().unwrap_or(""))),
        Err(e) => check(CheckName::Kid, false, e.to_string()),
    });

    checks.push(match signature {
        SignatureVerdict::Valid => check(CheckName::Signature, true, "the RS256 signature verifies with the JWKS key"),
        SignatureVerdict::Invalid => check(CheckName::Signature, false, "the signature does not verify: the token was altered or not signed by this issuer"),
        SignatureVerdict::NotVerified => check(CheckName::Signature, false, "the signature was not verified"),
    });

    checks.push(match str_claim("iss") {
        Some(iss) if iss == expected.issuer => check(CheckName::Iss, true, format!("issued by {iss}")),
        Some(iss) => check(CheckName::Iss, false, format!("issued by {iss}, expected {}", expected.issuer)),
        None => check(CheckName::Iss, false, "no iss claim"),
    });

    checks.push(check_aud(claims, &expected.client_id));

    let (now, skew) = (expected.now_s, expected.clock_skew_s);
    checks.push(match seconds(claims, "exp") {
        Some(exp) if now < exp => check(CheckName::Exp, true, format!("expires in {} s", exp - now)),
        Some(exp) if now < exp.saturating_add(skew) => check(CheckName::Exp, true, "expired just now, within the allowed clock skew"),
        Some(exp) => check(CheckName::Exp, false, format!("expired {} s ago", now - exp)),
        None => check(CheckName::Exp, false, "no numeric exp claim"),
    });

    checks.push(match seconds(claims, "iat") {
        Some(iat) if iat <= now.saturating_add(skew) => check(CheckName::Iat, true, "issued in the past"),
        Some(iat) => check(CheckName::Iat, false, format!("issued {} s in the future", iat - now)),
        None => check(CheckName::Iat, false, "no numeric iat claim"),
    });

    checks.push(match str_claim("nonce") {
        Some(n) if n == expected.nonce => check(CheckName::Nonce, true, "nonce matches the authorize request"),
        Some(_) => check(CheckName::Nonce, false, "nonce differs from the one sent: a replayed or injected token"),
        None => check(CheckName::Nonce, false, "no nonce claim although one was sent"),
    });

    checks.push(match (claims.get("at_hash"), access_token_sha256.map(at_hash_from_sha256)) {
        (None, _) => check(CheckName::AtHash, true, "no at_hash claim (optional in the code flow)"),
        (Some(_), None) => check(CheckName::AtHash, false, "at_hash present but the access token's hash was not supplied"),
        (Some(_), Some(None)) => check(CheckName::AtHash, false, "the access token digest is not a SHA-256 digest"),
        (Some(claim), Some(Some(ours))) if claim.as_str() == Some(ours.as_str()) => {
            check(CheckName::AtHash, true, "at_hash matches the access token")
        }
        (Some(_), Some(Some(_))) => check(CheckName::AtHash, false, "at_hash does not match the access token issued with it"),
    });

    IdTokenReport { checks }
}

/// `aud` must contain the client id; with several audiences `azp` must be the client id, and an
/// `azp` that is present must be the client id anyway.
fn check_aud(claims: &Value, client_id: &str) -> IdTokenCheck {
    let audiences: Option<Vec<&str>> = match claims.get("aud") {
        Some(Value::String(a)) => Some(vec![a.as_str()]),
        Some(Value::Array(list)) => list.iter().map(Value::as_str).collect(),
        _ => None,
    };
    let Some(audiences) = audiences.filter(|a| !a.is_empty()) else {
        return check(CheckName::Aud, false, "aud is missing or not a string or list of strings");
    };
    if !audiences.contains(&client_id) {
        return check(CheckName::Aud, false, format!("issued for {}, not this application ({client_id})", audiences.join(", ")));
    }
    match claims.get("azp").map(Value::as_str) {
        Some(Some(azp)) if azp != client_id => check(CheckName::Aud, false, format!("azp is {azp}, not this application")),
        Some(None) => check(CheckName::Aud, false, "azp is not a string"),
        None if audiences.len() > 1 => check(CheckName::Aud, false, "several audiences but no azp naming this application"),
        _ => check(CheckName::Aud, true, "issued for this application"),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    const NOW: u64 = 1_785_000_000;

    fn jwks() -> Jwks {
        serde_json::from_value(json!({"keys": [
            {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB", "x5t": "ignored"},
            {"kty": "EC", "kid": "ec1", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        ]}))
        .unwrap()
    }

    fn token(header: Value, claims: Value) -> Jws {
        let compact = format!("{}.{}.{}", base64url(header.to_string().as_bytes()), base64url(claims.to_string().as_bytes()), base64url(&[7; 4]));
        split_jws(&compact).unwrap()
    }

    fn good_claims() -> Value {
        json!({"iss": "https://auth.example/e/as", "sub": "u", "aud": "app", "iat": NOW - 5, "exp": NOW + 3600,
               "nonce": "n-1", "at_hash": at_hash_from_sha256(&Sha256::digest(b"access")).unwrap()})
    }

    fn expectations() -> IdTokenExpectations {
        IdTokenExpectations::new("https://auth.example/e/as", "app", "n-1", NOW)
    }

    fn run(header: Value, claims: Value, verdict: SignatureVerdict) -> IdTokenReport {
        check_id_token(&token(header, claims), &expectations(), Some(&Sha256::digest(b"access")), &jwks(), verdict)
    }

    fn failed(r: &IdTokenReport) -> Vec<&'static str> {
        r.failures().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn a_good_token_passes_every_check_in_order() {
        let r = run(json!({"alg": "RS256", "kid": "k1"}), good_claims(), SignatureVerdict::Valid);
        let names: Vec<_> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["alg", "kid", "signature", "iss", "aud", "exp", "iat", "nonce", "at_hash"]);
        assert_eq!(r.verdict(), IdTokenVerdict::Valid, "{r:?}");
        assert!(IdTokenReport { checks: vec![] }.verdict() == IdTokenVerdict::Invalid);
    }

    #[test]
    fn each_failure_is_reported_alone() {
        let h = json!({"alg": "RS256", "kid": "k1"});
        let with = |k: &str, v: Value| {
            let mut c = good_claims();
            c[k] = v;
            c
        };
        let cases: Vec<(Value, Value, SignatureVerdict, &str)> = vec![
            (json!({"alg": "none", "kid": "k1"}), good_claims(), SignatureVerdict::NotVerified, "alg"),
            (json!({"alg": "HS256", "kid": "k1"}), good_claims(), SignatureVerdict::Valid, "alg"),
            (json!({"alg": "RS256", "kid": "nope"}), good_claims(), SignatureVerdict::Valid, "kid"),
            (json!({"alg": "RS256", "kid": "ec1"}), good_claims(), SignatureVerdict::Valid, "kid"),
            (json!({"alg": "RS256", "kid": "enc"}), good_claims(), SignatureVerdict::Valid, "kid"),
            (h.clone(), good_claims(), SignatureVerdict::Invalid, "signature"),
            (h.clone(), with("iss", json!("https://evil/as")), SignatureVerdict::Valid, "iss"),
            (h.clone(), with("aud", json!("other")), SignatureVerdict::Valid, "aud"),
            (h.clone(), with("aud", json!(["other", "app"])), SignatureVerdict::Valid, "aud"),
            (h.clone(), with("azp", json!("other")), SignatureVerdict::Valid, "aud"),
            (h.clone(), with("exp", json!(NOW - 61)), SignatureVerdict::Valid, "exp"),
            (h.clone(), with("exp", json!("tomorrow")), SignatureVerdict::Valid, "exp"),
            (h.clone(), with("iat", json!(NOW + 61)), SignatureVerdict::Valid, "iat"),
            (h.clone(), with("nonce", json!("n-2")), SignatureVerdict::Valid, "nonce"),
            (h.clone(), with("at_hash", json!("AAAAAAAAAAAAAAAAAAAAAA")), SignatureVerdict::Valid, "at_hash"),
        ];
        for (header, claims, verdict, expected) in cases {
            let r = run(header.clone(), claims.clone(), verdict);
            assert_eq!(r.verdict(), IdTokenVerdict::Invalid, "{header} {claims}");
            assert!(failed(&r).contains(&expected), "{expected}: {r:?}");
            if verdict != SignatureVerdict::NotVerified && !matches!(expected, "alg") {
                assert_eq!(failed(&r), vec![expected], "only {expected} fails");
            }
        }
        let mut no_nonce = good_claims();
        no_nonce.as_object_mut().unwrap().remove("nonce");
        assert_eq!(failed(&run(h.clone(), no_nonce, SignatureVerdict::Valid)), vec!["nonce"]);
    }

    #[test]
    fn skew_audiences_and_at_hash_rules() {
        let h = json!({"alg": "RS256", "kid": "k1"});
        let mut c = good_claims();
        c["exp"] = json!(NOW - 30); // expired, but within the 60 s skew
        c["iat"] = json!(NOW + 30);
        assert!(run(h.clone(), c, SignatureVerdict::Valid).is_valid());
        let mut c = good_claims();
        c["aud"] = json!(["app", "other"]);
        c["azp"] = json!("app");
        assert!(run(h.clone(), c, SignatureVerdict::Valid).is_valid());
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove("at_hash");
        assert!(run(h.clone(), c, SignatureVerdict::Valid).is_valid(), "at_hash is optional in the code flow");
        let r = check_id_token(&token(h, good_claims()), &expectations(), None, &jwks(), SignatureVerdict::Valid);
        assert_eq!(failed(&r), vec!["at_hash"], "present but not checkable");
        assert_eq!(at_hash_from_sha256(&[0; 20]), None);
    }

    #[test]
    fn key_selection() {
        let set = jwks();
        assert_eq!(select_jwk(&set, Some("k1")).unwrap().kid.as_deref(), Some("k1"));
        assert_eq!(select_jwk(&set, Some("x")), Err(KeySelectionError::UnknownKid("x".into())));
        assert!(matches!(select_jwk(&set, Some("ec1")), Err(KeySelectionError::NotRsa { .. })));
        assert!(matches!(select_jwk(&set, Some("enc")), Err(KeySelectionError::NotForSignatures { .. })));
        assert_eq!(select_jwk(&set, None), Err(KeySelectionError::NoKid(3)));
        let one = Jwks { keys: vec![set.keys[0].clone()] };
        assert!(select_jwk(&one, None).is_ok());
        let mut hs = set.keys[0].clone();
        hs.alg = Some("HS256".into());
        assert!(matches!(select_jwk(&Jwks { keys: vec![hs] }, Some("k1")), Err(KeySelectionError::WrongAlg { .. })));
        let mut bare = set.keys[0].clone();
        bare.n = None;
        assert_eq!(select_jwk(&Jwks { keys: vec![bare.clone(), bare] }, Some("k1")), Err(KeySelectionError::DuplicateKid(2, "k1".into())));
    }

    #[test]
    fn split_keeps_the_signed_bytes() {
        let jws = split_jws("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.").unwrap();
        assert_eq!(jws.signing_input, b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0");
        assert!(jws.signature.is_empty());
        assert_eq!(jws.alg(), Some("none"));
        assert_eq!(jws.kid(), None);
        assert_eq!(split_jws("a.b"), Err(JwtDecodeError::Parts(2)));
    }

    #[test]
    fn discovery_ignores_unknown_fields_and_checks_the_issuer() {
        let c: OpenIdConfiguration = serde_json::from_value(json!({
            "issuer": "https://auth.pingone.com/e/as", "authorization_endpoint": "https://auth.pingone.com/e/as/authorize",
            "token_endpoint": "https://auth.pingone.com/e/as/token", "jwks_uri": "https://auth.pingone.com/e/as/jwks",
            "claims_supported": ["sub"], "id_token_signing_alg_values_supported": ["RS256"]
        }))
        .unwrap();
        assert_eq!(c.id_token_signing_alg_values_supported, ["RS256"]);
        assert!(c.check_issuer("https://auth.pingone.com/e/as").is_ok());
        assert!(c.check_issuer("https://auth.pingone.com/e/as/").is_err());
        assert_eq!(OpenIdConfiguration::url_for_issuer("https://a/e/as"), "https://a/e/as/.well-known/openid-configuration");
    }
}
