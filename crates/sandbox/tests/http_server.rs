#![cfg(feature = "server")]
//! The sandbox over real HTTP on loopback: the axum router in-process, and the
//! `pingone-sandbox` binary itself. A minimal HTTP/1.1 client is written here (one request per
//! connection), so the test sees exactly what goes over the wire (every `Set-Cookie` line).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sandbox::server::{router, ServerOptions};
use sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a full HTTP response");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).expect("status line");
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_string(), v.trim().to_string())).collect();
    Reply { status, headers, body: body.to_string() }
}

async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut msg = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        msg.push_str(&format!("{n}: {v}\r\n"));
    }
    if let Some(b) = body {
        msg.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    msg.push_str("\r\n");
    if let Some(b) = body {
        msg.push_str(b);
    }
    stream.write_all(msg.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    parse_reply(&raw)
}

async fn start(options: ServerOptions) -> (SocketAddr, Arc<Mutex<Sandbox>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 1, latency_ms: options.latency_ms, ..SandboxConfig::default() })));
    let app = router(engine.clone(), options, addr);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, engine)
}

#[tokio::test]
async fn the_workflow_starts_over_real_http() {
    let (addr, engine) = start(ServerOptions::default()).await;
    let info = engine.lock().unwrap().info();
    let env = info.env_id.clone();
    let basic = format!("Basic {}", STANDARD.encode(format!("{}:{}", info.worker_client_id, info.worker_client_secret)));
    let r = request(
        addr,
        "POST",
        &format!("/{env}/as/token"),
        &[("Authorization", &basic), ("Content-Type", "application/x-www-form-urlencoded")],
        Some("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("correlation-id").is_some());
    let token = r.json()["access_token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");

    let r = request(addr, "GET", &format!("/v1/environments/{env}/resources"), &[("Authorization", &bearer)], None).await;
    assert_eq!(r.status, 200);
    let self_href = r.json()["_links"]["self"]["href"].as_str().unwrap().to_string();
    assert_eq!(self_href, format!("http://{addr}/v1/environments/{env}/resources"), "hrefs use the Host of the request");
    assert!(r.header("access-control-allow-origin").is_none());

    // Users with a password, then a flow: several Set-Cookie lines come through intact.
    let app = request(
        addr,
        "POST",
        &format!("/v1/environments/{env}/applications"),
        &[("Authorization", &bearer), ("Content-Type", "application/json")],
        Some(r#"{"name":"a","enabled":true,"type":"WEB_APP","protocol":"OPENID_CONNECT","grantTypes":["AUTHORIZATION_CODE"],"responseTypes":["CODE"],"tokenEndpointAuthMethod":"CLIENT_SECRET_BASIC","redirectUris":["https://app.example.com/cb"]}"#),
    )
    .await;
    assert_eq!(app.status, 201, "{}", app.body);
    let app_id = app.json()["id"].as_str().unwrap().to_string();
    let user = request(
        addr,
        "POST",
        &format!("/v1/environments/{env}/users"),
        &[("Authorization", &bearer), ("Content-Type", "application/vnd.pingidentity.user.import+json")],
        Some(r#"{"username":"web","email":"web@example.com","password":{"value":"Correct-Horse-9!","forceChange":false}}"#),
    )
    .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let r = request(
        addr,
        "GET",
        &format!("/{env}/as/authorize?response_type=code&client_id={app_id}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid&response_mode=pi.flow"),
        &[("Accept", "*/*")],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let flow_cookie = r.all("set-cookie")[0].split(';').next().unwrap().to_string();
    let flow_id = r.json()["id"].as_str().unwrap().to_string();
    let r = request(
        addr,
        "POST",
        &format!("/{env}/flows/{flow_id}"),
        &[("Cookie", &flow_cookie), ("Content-Type", "application/vnd.pingidentity.usernamePassword.check+json")],
        Some(r#"{"username":"web","password":"Correct-Horse-9!"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "COMPLETED", "the default policy has no MFA");
    let cookies = r.all("set-cookie");
    assert_eq!(cookies.len(), 2, "{:?}", r.headers);
    assert!(cookies[0].starts_with("ST=") && cookies[1].starts_with("ST-NO-SS="));
    let r = request(addr, "GET", &format!("/{env}/as/resume?flowId={flow_id}"), &[("Cookie", cookies[0].split(';').next().unwrap())], None)
        .await;
    assert_eq!(r.status, 302, "pi.flow resume redirects with the code: {}", r.body);
    assert!(r.all("location")[0].contains("code="), "{:?}", r.headers);

    let r = request(addr, "GET", "/_sandbox/outbox", &[], None).await;
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
}

#[tokio::test]
async fn limits_methods_latency_and_the_allow_origin_option() {
    let options = ServerOptions { latency_ms: 150, allow_origins: vec!["http://localhost:8080".into()], max_body_bytes: 1024, log: false };
    let (addr, engine) = start(options).await;
    let env = engine.lock().unwrap().info().env_id;

    let big = "x".repeat(4096);
    let r = request(addr, "POST", &format!("/v1/environments/{env}/users"), &[("Content-Type", "application/json")], Some(&big)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (413, Some("REQUEST_TOO_LARGE")));
    assert!(r.json()["id"].is_string());

    let r = request(addr, "TRACE", "/", &[], None).await;
    assert_eq!(r.status, 405);

    let started = Instant::now();
    let r = request(addr, "GET", &format!("/{env}/as/jwks"), &[], None).await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150), "--latency-ms delays every response");

    // Not PingOne: CORS for the configured origin on every path, management included.
    let r = request(
        addr,
        "OPTIONS",
        &format!("/v1/environments/{env}/users"),
        &[
            ("Origin", "http://localhost:8080"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization,content-type"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://localhost:8080"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-allow-headers"), Some("authorization,content-type"));
    let r = request(addr, "GET", &format!("/v1/environments/{env}/users"), &[("Origin", "http://localhost:8080")], None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin"), Some("http://localhost:8080"));
    let r = request(addr, "GET", &format!("/v1/environments/{env}/users"), &[("Origin", "http://localhost:9999")], None).await;
    assert!(r.header("access-control-allow-origin").is_none());
}

#[test]
fn the_binary_prints_one_json_line_and_serves() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pingone-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--seed", "7", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("one line");
    let ready: Value = serde_json::from_str(&line).expect("a JSON line");
    let expected = Sandbox::new(SandboxConfig { seed: 7, ..SandboxConfig::default() }).info();
    assert_eq!(ready["env_id"], expected.env_id.as_str(), "the seed is honoured");
    assert_eq!(ready["worker_client_id"], expected.worker_client_id.as_str());
    assert_eq!(ready["worker_client_secret"], expected.worker_client_secret.as_str());
    let base = ready["base_url"].as_str().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(ready["api_base"], format!("{base}/v1"));
    assert_eq!(ready["auth_base"], format!("{base}/{}", expected.env_id));
    let addr: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(stream, "GET /{}/as/.well-known/openid-configuration HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n", expected.env_id)
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let reply = parse_reply(&raw);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["issuer"], format!("{base}/{}/as", expected.env_id));
    let _ = child.kill();
    let _ = child.wait();
}

/// What a raw HTTP/1.1 client sees: a response, or the connection closed without a byte.
enum Wire {
    Reply(Reply),
    Closed,
}

async fn exchange(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Wire {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut msg = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        msg.push_str(&format!("{n}: {v}\r\n"));
    }
    msg.push_str(&format!("Content-Length: {}\r\n\r\n{}", body.map_or(0, str::len), body.unwrap_or("")));
    stream.write_all(msg.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw).await {
        Ok(_) if raw.is_empty() => Wire::Closed,
        Ok(_) => Wire::Reply(parse_reply(&raw)),
        // A reset is a network error too, as long as nothing was received.
        Err(_) if raw.is_empty() => Wire::Closed,
        Err(e) => panic!("a partial response ({} bytes) then {e}", raw.len()),
    }
}

/// The engine behind `sandbox::server::serve` (the binary's loop), with faults.
async fn start_served(fail_rate: f64) -> (SocketAddr, Arc<Mutex<Sandbox>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 3, fail_rate, ..SandboxConfig::default() })));
    let served = engine.clone();
    tokio::spawn(async move {
        let _ = sandbox::server::serve(listener, served, ServerOptions::default()).await;
    });
    (addr, engine)
}

fn worker_basic(engine: &Mutex<Sandbox>) -> String {
    let info = engine.lock().unwrap().info();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", info.worker_client_id, info.worker_client_secret)))
}

#[tokio::test]
async fn faults_over_http_503_429_or_a_closed_connection() {
    let (addr, engine) = start_served(1.0).await;
    let env = engine.lock().unwrap().info().env_id;
    let (mut unavailable, mut limited, mut closed) = (0, 0, 0);
    for _ in 0..60 {
        match exchange(addr, "GET", &format!("/{env}/as/jwks"), &[], None).await {
            Wire::Closed => closed += 1,
            Wire::Reply(r) => {
                let body = r.json();
                assert_eq!(r.header("content-type"), Some("application/json"));
                assert_eq!(body["id"].as_str(), r.header("correlation-id"), "the error id is the Correlation-Id");
                match r.status {
                    503 => {
                        assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
                        unavailable += 1;
                    }
                    429 => {
                        assert_eq!(body["code"], "REQUEST_LIMITED");
                        assert_eq!(r.header("retry-after"), Some("1"), "Retry-After in seconds");
                        limited += 1;
                    }
                    s => panic!("fail_rate 1 answered {s}: {}", r.body),
                }
            }
        }
    }
    assert!(unavailable >= 8 && limited >= 8 && closed >= 8, "503: {unavailable}, 429: {limited}, closed: {closed}");
    // Not PingOne calls: never faulted.
    for _ in 0..10 {
        let Wire::Reply(r) = exchange(addr, "GET", "/_sandbox/outbox", &[], None).await else { panic!("the outbox was dropped") };
        assert_eq!(r.status, 200);
    }
}

#[tokio::test]
async fn a_dropped_create_happened_and_a_client_can_adopt_it() {
    let (addr, engine) = start_served(0.0).await;
    let env = engine.lock().unwrap().info().env_id;
    let basic = worker_basic(&engine);
    let Wire::Reply(r) = exchange(
        addr,
        "POST",
        &format!("/{env}/as/token"),
        &[("Authorization", &basic), ("Content-Type", "application/x-www-form-urlencoded")],
        Some("grant_type=client_credentials"),
    )
    .await
    else {
        panic!("no faults yet")
    };
    let bearer = format!("Bearer {}", r.json()["access_token"].as_str().unwrap());
    engine.lock().unwrap().set_fail_rate(1.0);
    // Create populations until one create is dropped: the 503 / 429 ones did nothing.
    let mut dropped_name = None;
    for i in 0..40 {
        let name = format!("Pop {i}");
        let body = format!(r#"{{"name":"{name}"}}"#);
        let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
        match exchange(addr, "POST", &format!("/v1/environments/{env}/populations"), &headers, Some(&body)).await {
            Wire::Closed => {
                dropped_name = Some(name);
                break;
            }
            Wire::Reply(r) => assert!(matches!(r.status, 429 | 503), "{}", r.status),
        }
    }
    let name = dropped_name.expect("a create was dropped");
    engine.lock().unwrap().set_fail_rate(0.0);
    let Wire::Reply(list) =
        exchange(addr, "GET", &format!("/v1/environments/{env}/populations"), &[("Authorization", &bearer)], None).await
    else {
        panic!("faults are off")
    };
    let names: Vec<String> =
        list.json()["_embedded"]["populations"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["Default".to_string(), name.clone()], "only the dropped create acted");
    let filter = format!("/v1/environments/{env}/populations?filter=name%20eq%20%22{}%22", name.replace(' ', "%20"));
    let Wire::Reply(found) = exchange(addr, "GET", &filter, &[("Authorization", &bearer)], None).await else { panic!("faults are off") };
    assert_eq!(found.json()["count"], 1);
}

#[tokio::test]
async fn a_plain_axum_server_also_closes_the_connection_of_a_dropped_response() {
    // `router()` under `axum::serve` (no service-error path): the failing body aborts it.
    let (addr, engine) = start(ServerOptions::default()).await;
    engine.lock().unwrap().set_fail_rate(1.0);
    let env = engine.lock().unwrap().info().env_id;
    let mut closed = 0;
    for _ in 0..30 {
        match exchange(addr, "GET", &format!("/{env}/as/jwks"), &[], None).await {
            Wire::Closed => closed += 1,
            Wire::Reply(r) => assert!(matches!(r.status, 429 | 503), "{}", r.status),
        }
    }
    assert!(closed > 0, "some responses were dropped");
}

#[test]
fn the_binary_takes_a_fail_rate_and_prints_it() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pingone-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--fail-rate", "0.25", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("one line");
    let ready: Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(ready["fail_rate"], 0.25);
    let _ = child.kill();
    let _ = child.wait();
    for bad in ["1.5", "-0.1", "NaN", "often"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingone-sandbox"))
            .args(["--listen", "127.0.0.1:0", "--fail-rate", bad])
            .output()
            .expect("the binary runs");
        assert!(!out.status.success(), "--fail-rate {bad} is refused");
        assert!(String::from_utf8_lossy(&out.stderr).contains("probability"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pingone-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--seed", "7", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            let mut line = String::new();
            BufReader::new(c.stdout.take().expect("stdout")).read_line(&mut line)?;
            let _ = c.kill();
            let _ = c.wait();
            Ok(line)
        })
        .expect("the binary starts");
    assert_eq!(serde_json::from_str::<Value>(&out).expect("JSON")["fail_rate"], 0.0, "off by default");
}
