//! docs/security.md, P8: fuzzed request targets never crash the proxy, and whatever it accepts is
//! a clean upstream path. Two layers: the target parser under proptest (thousands of generated
//! targets, each checked against the rules it must hold), then the real `pingone-proxy` binary
//! (`--sandbox`) fed raw HTTP/1.1 request lines over TCP, still answering afterwards.

use percent_encoding::percent_decode_str;
use pingone::region::Region;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proxy::route::{parse_target, HostKind};
mod common;
use common::ProxyProcess;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

/// Pieces that make targets interesting: separators, dot-segments and their encodings, userinfo,
/// control and non-ASCII characters, the proxy's own prefixes.
const PIECES: &[&str] = &[
    "/", "//", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25", "%252e", "%00", "%", "%zz", "@", ":", "\\",
    "?", "#", ";", "~", " ", "\t", "\u{0}", "\u{7f}", "é", "💥", "na", "eu", "sg", "api", "auth", "v1", "environments",
    "as", "token", "flows", "_proxy", "info", "users", "applications", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
];

fn target() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec!["", "/", "/na/api/v1/environments/", "/na/auth/", "/eu/api/", "/xx/", "http://evil.example/"]);
    let body = prop::collection::vec(prop_oneof![prop::sample::select(PIECES.to_vec()).prop_map(str::to_string), "[ -~]{0,6}"], 0..14);
    (prefix, body).prop_map(|(p, parts)| format!("{p}{}", parts.concat()))
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "CONNECT", "TRACE", "get"]).prop_map(str::to_string),
        "[A-Za-z]{1,8}",
    ]
}

proptest! {
    // No regression file: a failure prints its minimal input, which belongs in a named test.
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_target_panics_the_parser_and_every_accepted_one_is_clean(
        method in method(),
        target in target(),
        query in proptest::option::of("[ -~]{0,12}"),
        authority in any::<bool>(),
    ) {
        let regions = [Region::Na, Region::Eu];
        let Ok(t) = parse_target(&method, authority, &target, query.as_deref(), &regions) else { return Ok(()) };
        prop_assert!(!authority, "an absolute-form target was accepted: {target}");
        prop_assert!(!method.eq_ignore_ascii_case("CONNECT"));
        prop_assert!(regions.contains(&t.region), "{target}: region {:?}", t.region);
        prop_assert!(t.path.starts_with('/'), "{target} -> {}", t.path);
        let lower = t.path.to_ascii_lowercase();
        for bad in ["%2f", "%5c", "\\", "@", "%00"] {
            prop_assert!(!lower.contains(bad), "{target} -> {} holds {bad}", t.path);
        }
        prop_assert!(!t.path.bytes().any(|b| b < 0x20 || b == 0x7f), "{target} -> control character");
        // No segment is a dot-segment, however often it is percent-decoded (%2e, %252e, ...).
        for segment in t.path.split('/') {
            let mut s = segment.to_string();
            for _ in 0..3 {
                prop_assert!(s != "." && s != "..", "{target} -> {} has a dot-segment ({segment})", t.path);
                s = percent_decode_str(&s).decode_utf8_lossy().into_owned();
            }
        }
        if t.host == HostKind::Api {
            prop_assert!(t.path.starts_with("/v1/environments/"), "{target} -> {}", t.path);
        }
    }
}

/// The proxy binary with its in-process sandbox, on a free loopback port.
fn start() -> ProxyProcess {
    ProxyProcess::start(&["--sandbox", "--allow-origin", "http://127.0.0.1:9", "--threads", "1", "--rate-limit", "0"], Stdio::null())
}

/// Sends raw bytes, returns the status line (empty when the proxy closed without answering).
fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("the proxy accepts connections");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.take(4096).read_to_end(&mut out);
    String::from_utf8_lossy(&out).lines().next().unwrap_or_default().to_string()
}

#[test]
fn the_proxy_binary_answers_every_fuzzed_request_line_and_keeps_running() {
    let mut proxy = start();
    let addr = proxy.addr.clone();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (methods, targets) = (method(), target());
    let mut answered = 0;
    for _ in 0..400 {
        let m = methods.new_tree(&mut runner).expect("a method").current();
        let t = targets.new_tree(&mut runner).expect("a target").current();
        let request = format!("{m} {t} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://127.0.0.1:9\r\nConnection: close\r\n\r\n");
        let status = raw(&addr, request.as_bytes());
        if status.starts_with("HTTP/1.1 ") {
            let code: u16 = status[9..12].parse().unwrap_or(0);
            assert!((200..600).contains(&code), "{m} {t:?} -> {status}");
            answered += 1;
        }
        assert!(proxy.child.try_wait().expect("the process can be polled").is_none(), "the proxy exited after {m} {t:?}");
    }
    // Malformed requests are answered or closed by the HTTP layer; most get an answer.
    assert!(answered >= 300, "only {answered} of 400 requests were answered");
    // Bytes that are not HTTP at all, an oversized request line, a truncated one.
    let long = format!("GET /na/api/v1/environments/{} HTTP/1.1\r\nHost: {addr}\r\n\r\n", "a".repeat(70_000));
    for junk in [&b"\x00\xff\xfe garbage\r\n\r\n"[..], long.as_bytes(), b"GET /na/api/v1/env", b"\r\n\r\n\r\n"] {
        let _ = raw(&addr, junk);
        assert!(proxy.child.try_wait().unwrap().is_none(), "the proxy exited after junk");
    }
    // Still serving: its own info route answers.
    let info = raw(&addr, format!("GET /_proxy/info HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    assert!(info.starts_with("HTTP/1.1 200"), "{info}");
}
