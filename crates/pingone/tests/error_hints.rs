#![cfg(not(target_arch = "wasm32"))]
//! Every error code the sandbox can emit gets a specific, plain-language hint from
//! `pingone::error::hint_for`, never the generic fallback.

use pingone::error::{hint_for, hint_for_code, GENERIC_HINT};
use sandbox::errors::{EMITTED_ERROR_CODES, EMITTED_OAUTH_ERRORS};

#[test]
fn every_pingone_code_the_sandbox_emits_has_a_hint() {
    assert!(!EMITTED_ERROR_CODES.is_empty());
    for code in EMITTED_ERROR_CODES {
        let hint = hint_for_code(code).unwrap_or_else(|| panic!("no hint for PingOne code {code}"));
        assert_ne!(hint, GENERIC_HINT, "{code}");
        // As a detail code and as a top-level code, whatever the status.
        assert_eq!(hint_for(Some(400), Some(code), None), hint, "{code}");
        assert_eq!(hint_for(Some(400), None, Some(code)), hint, "{code}");
    }
}

#[test]
fn every_oauth_error_the_sandbox_emits_has_a_hint() {
    assert!(!EMITTED_OAUTH_ERRORS.is_empty());
    for error in EMITTED_OAUTH_ERRORS {
        let hint = hint_for_code(error).unwrap_or_else(|| panic!("no hint for OAuth error {error}"));
        assert_ne!(hint, GENERIC_HINT, "{error}");
        assert_eq!(hint_for(Some(400), None, Some(error)), hint, "{error}");
    }
}
