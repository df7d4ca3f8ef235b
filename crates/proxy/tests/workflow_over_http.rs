//! The whole 21-step workflow over real HTTP on loopback, as the browser's HTTP transport does
//! it: `pingone-proxy` in front of the `pingone-sandbox` server (and with `--sandbox`
//! in-process), cookies kept by the client, redirects read from the proxy's headers.

mod common;
use common::{read_response, start_sandbox};
use pingone::http::{HttpRequest, HttpResponse};
use pingone::oauth::{pkce_challenge_from_digest, pkce_verifier, random_token, AuthorizeSecrets};
use pingone::secret::{Otp, Password, WorkerSecret};
use pingone::workflow::{Applied, BuildError, Endpoints, Planned, Progress, StepStatus, UserInput, WorkflowConfig, WorkflowState};
use proxy::{router, ProxyConfig, Upstreams};
use sandbox::{Sandbox, SandboxConfig};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

const ORIGIN: &str = "http://127.0.0.1:8080";

async fn start_proxy(upstreams: Upstreams) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::new(vec![ORIGIN.into()], upstreams);
    config.allowed_hosts = vec![addr.to_string()];
    config.log = false;
    let app = router(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Sends one workflow request the way the browser transport does: through the proxy, with a
/// cookie store, never following redirects.
async fn send(client: &reqwest::Client, req: HttpRequest) -> HttpResponse {
    let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes()).unwrap();
    let mut rb = client.request(method, &req.url);
    for (k, v) in req.headers.iter() {
        rb = rb.header(k, v);
    }
    if let Some(body) = req.body {
        rb = rb.body(body);
    }
    read_response(rb.send().await.unwrap()).await
}

struct Run {
    state: WorkflowState,
    progress: Progress,
    calls: usize,
}

async fn run_workflow(proxy: SocketAddr, env_id: &str, worker_id: &str, worker_secret: &str, otp_source: impl Fn() -> Option<String>) -> Run {
    let endpoints = Endpoints { api_base: format!("http://{proxy}/na/api/v1"), auth_root: format!("http://{proxy}/na/auth") };
    let config = WorkflowConfig::new(endpoints, env_id, worker_id, "http1");
    let mut state = WorkflowState::new(config, WorkerSecret::new(worker_secret), Password::new("Correct-Horse-9!"));
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut progress = Progress::new();
    let mut calls = 0;
    while !progress.is_complete() {
        let ready = progress.ready();
        assert!(!ready.is_empty(), "stuck: {progress:?}");
        // Run every ready step concurrently, as Run all does; apply in completion order.
        let mut planned = Vec::new();
        for id in ready {
            loop {
                match id.build(&state) {
                    Ok(Planned::Request(r)) => {
                        planned.push((id, r));
                        break;
                    }
                    Ok(Planned::Skip(_)) => {
                        progress.set(id, StepStatus::Skipped);
                        break;
                    }
                    Err(BuildError::NeedsInput(UserInput::AuthorizeSecrets)) => {
                        let v = pkce_verifier(&[7; 32]).unwrap();
                        let code_challenge = pkce_challenge_from_digest(&Sha256::digest(v.expose().as_bytes()));
                        state.secrets.authorize = Some(AuthorizeSecrets { state: random_token(&[8; 16]), nonce: random_token(&[9; 16]), code_verifier: v, code_challenge });
                    }
                    Err(BuildError::NeedsInput(UserInput::Otp)) => {
                        state.secrets.otp = Some(Otp::new(otp_source().expect("an OTP in the outbox")));
                    }
                    Err(e) => panic!("step {} cannot build: {e}", id.number()),
                }
            }
        }
        let responses = futures_join(&client, planned).await;
        for (id, resp) in responses {
            calls += 1;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
            match id.apply(&mut state, &resp, now) {
                Ok(Applied::Done) => progress.set(id, StepStatus::Done),
                Ok(Applied::Again) => {}
                Err(e) => panic!("step {} failed: {e} ({} {})", id.number(), resp.status, resp.body),
            }
        }
    }
    Run { state, progress, calls }
}

async fn futures_join(client: &reqwest::Client, planned: Vec<(pingone::workflow::StepId, HttpRequest)>) -> Vec<(pingone::workflow::StepId, HttpResponse)> {
    let mut handles = Vec::new();
    for (id, req) in planned {
        let client = client.clone();
        handles.push(tokio::spawn(async move { (id, send(&client, req).await) }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

fn assert_signed_on(run: &Run) {
    assert!(run.progress.is_complete());
    let tokens = run.state.secrets.tokens.as_ref().expect("tokens");
    let id = pingone::oauth::decode_jwt(tokens.id_token.as_ref().unwrap().expose()).unwrap();
    assert_eq!(id.claims["aud"], run.state.created.application_id.clone().unwrap());
    assert_eq!(id.claims["nonce"], run.state.secrets.authorize.as_ref().unwrap().nonce);
}

#[tokio::test]
async fn the_whole_workflow_through_the_proxy_to_the_sandbox_server() {
    let (sandbox_addr, engine) = start_sandbox(11).await;
    let up = format!("http://{sandbox_addr}");
    let proxy = start_proxy(Upstreams::Http { api: up.clone(), auth: up }).await;
    let info = engine.lock().unwrap().info();
    let e = engine.clone();
    let run = run_workflow(proxy, &info.env_id, &info.worker_client_id, &info.worker_client_secret, move || {
        e.lock().unwrap().outbox().last().map(|m| m.otp.clone())
    })
    .await;
    assert_signed_on(&run);
    // 21 steps; step 0 also reads the environment's type.
    assert_eq!(run.calls, 22);
    // The flow's links were rewritten to the proxy, so the client never saw the upstream.
    let flow = run.state.flow.as_ref().unwrap();
    for link in flow.links.values() {
        assert!(link.href.starts_with(&format!("http://{proxy}/na/auth/")), "{}", link.href);
    }
}

#[tokio::test]
async fn the_whole_workflow_with_the_in_process_sandbox() {
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 12, ..Default::default() })));
    let info = engine.lock().unwrap().info();
    let proxy = start_proxy(Upstreams::Sandbox(engine.clone())).await;
    let e = engine.clone();
    let run = run_workflow(proxy, &info.env_id, &info.worker_client_id, &info.worker_client_secret, move || {
        e.lock().unwrap().outbox().last().map(|m| m.otp.clone())
    })
    .await;
    assert_signed_on(&run);
}

#[tokio::test]
async fn redirect_mode_authorize_and_resume_are_readable_through_the_proxy() {
    // Provision and sign on in pi.flow mode, then start a second authorize in redirect mode: the
    // 302s come back as X-Upstream-Status/-Location, never followed.
    let (sandbox_addr, engine) = start_sandbox(13).await;
    let up = format!("http://{sandbox_addr}");
    let proxy = start_proxy(Upstreams::Http { api: up.clone(), auth: up }).await;
    let info = engine.lock().unwrap().info();
    let e = engine.clone();
    let run = run_workflow(proxy, &info.env_id, &info.worker_client_id, &info.worker_client_secret, move || {
        e.lock().unwrap().outbox().last().map(|m| m.otp.clone())
    })
    .await;
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let a = run.state.secrets.authorize.as_ref().unwrap();
    let url = format!(
        "http://{proxy}/na/auth/{}/as/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=xyz&code_challenge={}&code_challenge_method=S256",
        info.env_id,
        run.state.created.application_id.as_ref().unwrap(),
        url::form_urlencoded::byte_serialize(run.state.config.redirect_uri.as_bytes()).collect::<String>(),
        a.code_challenge
    );
    let resp = send(&client, HttpRequest::new(pingone::http::Method::Get, url)).await;
    assert_eq!(resp.status, 302, "{}", resp.body);
    let location = resp.headers.get("location").unwrap();
    assert!(location.contains("flowId="), "{location}");
}

#[tokio::test]
async fn links_follow_the_forwarded_origin_only_when_it_is_allowed() {
    // `trunk serve` forwards /na/... to the proxy with X-Forwarded-Host/Proto: the links the
    // page follows must stay on the page's origin (where its cookies are), never on a foreign one.
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 14, ..Default::default() })));
    let env = engine.lock().unwrap().info().env_id;
    let proxy = start_proxy(Upstreams::Sandbox(engine)).await;
    let client = reqwest::Client::new();
    let jwks_uri = |forwarded: &'static str| {
        let client = client.clone();
        let url = format!("http://{proxy}/na/auth/{env}/as/.well-known/openid-configuration");
        async move {
            let r = client.get(url).header("X-Forwarded-Host", forwarded).header("X-Forwarded-Proto", "http").send().await.unwrap();
            assert_eq!(r.status(), 200);
            let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
            v["jwks_uri"].as_str().unwrap().to_string()
        }
    };
    let allowed = jwks_uri("127.0.0.1:8080").await;
    assert!(allowed.starts_with("http://127.0.0.1:8080/na/auth/"), "{allowed}");
    let foreign = jwks_uri("evil.example").await;
    assert!(foreign.starts_with(&format!("http://{proxy}/na/auth/")), "{foreign}");
}
