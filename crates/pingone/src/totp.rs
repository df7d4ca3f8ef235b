//! The pure parts of TOTP (RFC 6238) and HOTP (RFC 4226): the `otpauth://totp/...` key URI a
//! TOTP device shows, base32 secrets (RFC 4648), the moving factor for a time, and dynamic
//! truncation of an HMAC into the code. The HMAC itself is computed by the caller (WebCrypto
//! `HMAC` with [`TotpAlgorithm::webcrypto_hash`] over [`counter_bytes`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// RFC 6238 defaults, as authenticator apps assume when the URI omits them.
pub const DEFAULT_PERIOD_S: u64 = 30;
pub const DEFAULT_DIGITS: u32 = 6;
/// RFC 4226 §5.3: 6 digits at least; 7 and 8 are allowed.
pub const DIGITS_RANGE: std::ops::RangeInclusive<u32> = 6..=8;

/// The HMAC hash of a TOTP key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TotpAlgorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl TotpAlgorithm {
    /// The name in a key URI (`SHA1`, `SHA256`, `SHA512`).
    pub fn as_str(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }
    /// The WebCrypto hash name for `HMAC` (`SHA-1`, `SHA-256`, `SHA-512`).
    pub fn webcrypto_hash(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA-1",
            TotpAlgorithm::Sha256 => "SHA-256",
            TotpAlgorithm::Sha512 => "SHA-512",
        }
    }
    /// Parses a key URI's `algorithm` (case-insensitive).
    pub fn parse(s: &str) -> Option<TotpAlgorithm> {
        match s.to_ascii_uppercase().as_str() {
            "SHA1" => Some(TotpAlgorithm::Sha1),
            "SHA256" => Some(TotpAlgorithm::Sha256),
            "SHA512" => Some(TotpAlgorithm::Sha512),
            _ => None,
        }
    }
}

/// Why a base32 string is not a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base32Error {
    #[error("character {position} is not base32 (A-Z, 2-7)")]
    InvalidCharacter { position: usize },
    #[error("{0} base32 characters cannot encode whole bytes")]
    InvalidLength(usize),
}

/// Why a key URI or a code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TotpError {
    #[error("not an otpauth:// URI")]
    NotOtpauth,
    #[error("an otpauth URI of type `{0}`; only totp is supported")]
    NotTotp(String),
    #[error("the key URI has no secret")]
    MissingSecret,
    #[error("the secret is not base32: {0}")]
    Secret(#[from] Base32Error),
    #[error("period must be a positive number of seconds, got `{0}`")]
    BadPeriod(String),
    #[error("digits must be 6, 7 or 8, got `{0}`")]
    BadDigits(String),
    #[error("algorithm `{0}` is not SHA1, SHA256 or SHA512")]
    UnsupportedAlgorithm(String),
    #[error("an HMAC of {0} bytes is too short to truncate (needs at least 20)")]
    ShortHmac(usize),
}

/// A TOTP key as a key URI describes it. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpKey {
    pub secret: Vec<u8>,
    pub period_s: u64,
    pub digits: u32,
    pub algorithm: TotpAlgorithm,
    /// `issuer` parameter, else the label's prefix before `:`.
    pub issuer: Option<String>,
    /// The label's account part (e.g. the username).
    pub account: String,
}

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpKey")
            .field("secret", &"[redacted]")
            .field("period_s", &self.period_s)
            .field("digits", &self.digits)
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .finish()
    }
}

impl TotpKey {
    /// The moving factor at a unix time.
    pub fn counter_at(&self, unix_s: u64) -> u64 {
        moving_factor(unix_s, self.period_s)
    }
    /// Seconds until the code shown at `unix_s` changes.
    pub fn seconds_left(&self, unix_s: u64) -> u64 {
        let p = self.period_s.max(1);
        p - unix_s % p
    }
    /// The code from the caller's HMAC of [`counter_bytes`]`(self.counter_at(t))`.
    pub fn code_from_hmac(&self, hmac: &[u8]) -> Result<String, TotpError> {
        truncate(hmac, self.digits)
    }
}

/// Parses `otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=...&digits=...&period=...`.
pub fn parse_key_uri(uri: &str) -> Result<TotpKey, TotpError> {
    let url = url::Url::parse(uri.trim()).map_err(|_| TotpError::NotOtpauth)?;
    if url.scheme() != "otpauth" {
        return Err(TotpError::NotOtpauth);
    }
    let kind = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if kind != "totp" {
        return Err(TotpError::NotTotp(kind));
    }
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let secret = param("secret").filter(|s| !s.trim().is_empty()).ok_or(TotpError::MissingSecret)?;
    let secret = base32_decode(&secret)?;
    if secret.is_empty() {
        return Err(TotpError::MissingSecret);
    }
    let period_s = match param("period") {
        None => DEFAULT_PERIOD_S,
        Some(p) => p.parse::<u64>().ok().filter(|n| *n > 0).ok_or(TotpError::BadPeriod(p))?,
    };
    let digits = match param("digits") {
        None => DEFAULT_DIGITS,
        Some(d) => d.parse::<u32>().ok().filter(|n| DIGITS_RANGE.contains(n)).ok_or(TotpError::BadDigits(d))?,
    };
    let algorithm = match param("algorithm") {
        None => TotpAlgorithm::Sha1,
        Some(a) => TotpAlgorithm::parse(&a).ok_or(TotpError::UnsupportedAlgorithm(a))?,
    };
    let label = percent_decode(url.path().trim_start_matches('/'));
    let (label_issuer, account) = match label.split_once(':') {
        Some((i, a)) => (Some(i.trim().to_string()), a.trim().to_string()),
        None => (None, label.trim().to_string()),
    };
    let issuer = param("issuer").or(label_issuer).filter(|i| !i.is_empty());
    Ok(TotpKey { secret, period_s, digits, algorithm, issuer, account })
}

/// Decodes `%XX` escapes (a key URI's label); invalid escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 4648 base32, tolerant of lower case, spaces and `=` padding at the end.
pub fn base32_decode(text: &str) -> Result<Vec<u8>, Base32Error> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits, mut count, mut padding) = (0u32, 0u32, 0usize, false);
    for (position, c) in text.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        if c == '=' {
            padding = true;
            continue;
        }
        let value = match c.to_ascii_uppercase() {
            u @ 'A'..='Z' if !padding => u as u32 - 'A' as u32,
            d @ '2'..='7' if !padding => d as u32 - '2' as u32 + 26,
            _ => return Err(Base32Error::InvalidCharacter { position }),
        };
        buffer = (buffer << 5 | value) & 0xffff;
        bits += 5;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    // A final group of 1, 3 or 6 characters cannot come from whole bytes.
    if matches!(count % 8, 1 | 3 | 6) {
        return Err(Base32Error::InvalidLength(count));
    }
    Ok(out)
}

/// RFC 6238 §4.2: `T = floor((unix time - T0) / period)` with `T0 = 0` (a period of 0 counts as 1).
pub fn moving_factor(unix_s: u64, period_s: u64) -> u64 {
    unix_s / period_s.max(1)
}

/// The HMAC message for a counter: 8 bytes, big-endian (RFC 4226 §5.2).
pub fn counter_bytes(counter: u64) -> [u8; 8] {
    counter.to_be_bytes()
}

/// RFC 4226 §5.3 dynamic truncation of an HMAC into a zero-padded code of `digits` digits.
pub fn truncate(hmac: &[u8], digits: u32) -> Result<String, TotpError> {
    if !DIGITS_RANGE.contains(&digits) {
        return Err(TotpError::BadDigits(digits.to_string()));
    }
    let Some(&last) = hmac.last().filter(|_| hmac.len() >= 20) else {
        return Err(TotpError::ShortHmac(hmac.len()));
    };
    let offset = usize::from(last & 0x0f);
    let bytes: [u8; 4] = hmac
        .get(offset..offset + 4)
        .and_then(|s| s.try_into().ok())
        .ok_or(TotpError::ShortHmac(hmac.len()))?;
    let binary = u32::from_be_bytes(bytes) & 0x7fff_ffff;
    let code = binary % 10u32.pow(digits);
    Ok(format!("{code:0width$}", width = digits as usize))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use hmac::{Hmac, Mac};

    fn hmac_of(algorithm: TotpAlgorithm, key: &[u8], counter: u64) -> Vec<u8> {
        let msg = counter_bytes(counter);
        macro_rules! mac {
            ($h:ty) => {{
                let mut m = Hmac::<$h>::new_from_slice(key).unwrap();
                m.update(&msg);
                m.finalize().into_bytes().to_vec()
            }};
        }
        match algorithm {
            TotpAlgorithm::Sha1 => mac!(sha1::Sha1),
            TotpAlgorithm::Sha256 => mac!(sha2::Sha256),
            TotpAlgorithm::Sha512 => mac!(sha2::Sha512),
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp() {
        let key = b"12345678901234567890";
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(truncate(&hmac_of(TotpAlgorithm::Sha1, key, counter as u64), 6).unwrap(), *code, "count {counter}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_totp() {
        let keys = [
            (TotpAlgorithm::Sha1, b"12345678901234567890".to_vec()),
            (TotpAlgorithm::Sha256, b"12345678901234567890123456789012".to_vec()),
            (TotpAlgorithm::Sha512, b"1234567890123456789012345678901234567890123456789012345678901234".to_vec()),
        ];
        let table: [(u64, [&str; 3]); 6] = [
            (59, ["94287082", "46119246", "90693936"]),
            (1_111_111_109, ["07081804", "68084774", "25091201"]),
            (1_111_111_111, ["14050471", "67062674", "99943326"]),
            (1_234_567_890, ["89005924", "91819424", "93441116"]),
            (2_000_000_000, ["69279037", "90698825", "38618901"]),
            (20_000_000_000, ["65353130", "77737706", "47863826"]),
        ];
        for (t, codes) in table {
            for ((algorithm, key), code) in keys.iter().zip(codes) {
                let counter = moving_factor(t, 30);
                assert_eq!(truncate(&hmac_of(*algorithm, key, counter), 8).unwrap(), code, "{algorithm:?} at {t}");
            }
        }
        assert_eq!(format!("{:016X}", moving_factor(1_111_111_109, 30)), "00000000023523EC");
        assert_eq!(moving_factor(20_000_000_000, 30), 0x27BC86AA);
    }

    #[test]
    fn parses_a_key_uri_with_defaults_and_options() {
        let k = parse_key_uri("otpauth://totp/Workbench%20Sandbox:jamie.doe?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Workbench%20Sandbox").unwrap();
        assert_eq!(k.secret, b"12345678901234567890");
        assert_eq!((k.period_s, k.digits, k.algorithm), (30, 6, TotpAlgorithm::Sha1));
        assert_eq!(k.issuer.as_deref(), Some("Workbench Sandbox"));
        assert_eq!(k.account, "jamie.doe");
        assert!(!format!("{k:?}").contains("49"), "Debug hides the secret");
        let k = parse_key_uri("otpauth://TOTP/acme:bob?secret=gezd%20gnbv&algorithm=sha256&digits=8&period=60").unwrap();
        assert_eq!((k.period_s, k.digits, k.algorithm), (60, 8, TotpAlgorithm::Sha256));
        assert_eq!(k.issuer.as_deref(), Some("acme"));
        assert_eq!(k.counter_at(119), 1);
        assert_eq!(k.seconds_left(119), 1);
        assert_eq!(k.seconds_left(120), 60);
    }

    #[test]
    fn key_uri_errors_are_typed() {
        let e = |u: &str| parse_key_uri(u).unwrap_err();
        assert_eq!(e("https://totp/x?secret=AA"), TotpError::NotOtpauth);
        assert_eq!(e("not a uri"), TotpError::NotOtpauth);
        assert_eq!(e("otpauth://hotp/x?secret=GEZDGNBV&counter=1"), TotpError::NotTotp("hotp".into()));
        assert_eq!(e("otpauth://totp/x?issuer=y"), TotpError::MissingSecret);
        assert_eq!(e("otpauth://totp/x?secret=GEZ1"), TotpError::Secret(Base32Error::InvalidCharacter { position: 3 }));
        assert_eq!(e("otpauth://totp/x?secret=GEZDGNBV&period=0"), TotpError::BadPeriod("0".into()));
        assert_eq!(e("otpauth://totp/x?secret=GEZDGNBV&digits=10"), TotpError::BadDigits("10".into()));
        assert_eq!(e("otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5"), TotpError::UnsupportedAlgorithm("MD5".into()));
    }

    #[test]
    fn base32_is_tolerant_but_exact() {
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw 6ytb oi").unwrap(), b"foobar");
        assert_eq!(base32_decode("").unwrap(), b"");
        assert_eq!(base32_decode("MY======").unwrap(), b"f");
        assert_eq!(base32_decode("MZXQ====").unwrap(), b"fo");
        assert_eq!(base32_decode("MZXW6===").unwrap(), b"foo");
        assert_eq!(base32_decode("MZXW6YQ=").unwrap(), b"foob");
        assert_eq!(base32_decode("MZXW6YTB").unwrap(), b"fooba");
        assert_eq!(base32_decode("M"), Err(Base32Error::InvalidLength(1)));
        assert_eq!(base32_decode("MZ=X"), Err(Base32Error::InvalidCharacter { position: 3 }));
        assert_eq!(base32_decode("MZ0="), Err(Base32Error::InvalidCharacter { position: 2 }));
    }

    #[test]
    fn truncation_pads_and_checks_its_input() {
        // RFC 4226 §5.4's worked example: offset 0xa, code 872921.
        let hmac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19, 0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(truncate(&hmac, 6).unwrap(), "872921");
        assert_eq!(truncate(&hmac_of(TotpAlgorithm::Sha1, b"12345678901234567890", 1_111_111_109 / 30), 8).unwrap(), "07081804");
        assert_eq!(truncate(&hmac[..19], 6), Err(TotpError::ShortHmac(19)));
        assert_eq!(truncate(&hmac, 5), Err(TotpError::BadDigits("5".into())));
    }
}
