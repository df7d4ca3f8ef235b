//! Phone numbers as PingOne's MFA device API accepts them (SMS and voice devices):
//! <https://developer.pingidentity.com/pingone-api/mfa/users/mfa-devices/create-mfa-user-device-voice.html>
//! lists `+15125551234`, `+1.5125551234`, `+1.512.555.1234`, `15125551234`, `1-512-555-1234`
//! and `+1 (512) 555-1234` as the same number. The country code is always part of the digits
//! (PingOne asks for it); the `+` is optional. One rule, used by the client's input check and by
//! the sandbox.

/// The separators PingOne's examples put between digits.
const SEPARATORS: &[char] = &[' ', '-', '.', '(', ')'];

/// The number in E.164 form (`+` and 8 to 15 digits, the first not zero) when `s` is one of the
/// documented spellings, else `None`.
pub fn normalize(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = s.strip_prefix('+').unwrap_or(s);
    if rest.chars().any(|c| !c.is_ascii_digit() && !SEPARATORS.contains(&c)) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// True for a phone number PingOne accepts (see [`normalize`]).
pub fn is_phone_number(s: &str) -> bool {
    normalize(s).is_some()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn the_documented_spellings_are_one_number() {
        for s in ["+15125551234", "+1.5125551234", "+1.512.555.1234", "15125551234", "1-512-555-1234", "+1 (512) 555-1234", " +1 512-555-1234 "] {
            assert_eq!(normalize(s).as_deref(), Some("+15125551234"), "{s}");
        }
    }

    #[test]
    fn other_text_is_refused() {
        for s in ["", "+", "+12", "1234567", "+0123456789", "+1 512 CALL NOW", "+1-512-555-1234 ext 5", "++15125551234", "+1234567890123456"] {
            assert_eq!(normalize(s), None, "{s}");
        }
    }
}
