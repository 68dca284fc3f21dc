#![allow(dead_code)]

//! What the benchmarks share: form parameters, the authorize request of the pre-registered
//! bench client, its login form, the outcome of a load run and a server on its own core. The
//! in-process cache test (`tests/token_cache.rs`) includes this module too.

use frontmcp_auth::oauth::Params;

/// The redirect URI of the bench client.
pub const REDIRECT: &str = "http://127.0.0.1:7777/callback";
/// The PKCE challenge of the benches' verifier.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// `pairs` as form parameters.
pub fn params(pairs: &[(&str, &str)]) -> Params {
    let text: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Params::from_urlencoded(text.as_bytes()).expect("params")
}

/// The authorize request of `bench-client` (PKCE S256, a state).
pub fn authorize_request() -> Params {
    params(&[
        ("response_type", "code"),
        ("client_id", "bench-client"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-123"),
    ])
}

/// Submits the login form of the pending authorization `prompt` opened, with `fields` (the
/// authenticator's), as the browser would: the CSRF token in the form and in its cookie.
pub async fn submit_login(
    server: &frontmcp_auth::oauth::AuthorizationServer,
    prompt: frontmcp_auth::oauth::LoginPrompt,
    fields: &[(&str, &str)],
) -> frontmcp_auth::oauth::CallbackOutcome {
    server
        .callback(frontmcp_auth::oauth::CallbackInput {
            csrf_token: prompt.csrf_token.clone(),
            csrf_cookie: Some(prompt.csrf_token),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..frontmcp_auth::oauth::CallbackInput::without_form(&prompt.pending_id)
        })
        .await
        .expect("callback")
}

/// What a closed-loop load run measured.
pub struct Outcome {
    /// Every successful request's latency, in microseconds.
    pub latencies_us: Vec<u64>,
    /// Requests that failed.
    pub errors: usize,
    /// How long the run took.
    pub elapsed: std::time::Duration,
}

impl Outcome {
    /// Runs the workers (futures of this task, each yielding its `(latencies, errors)`) to the
    /// end and joins what they measured; `started` is when they began.
    pub async fn collect<W>(
        workers: impl IntoIterator<Item = W>,
        started: std::time::Instant,
    ) -> Outcome
    where
        W: std::future::Future<Output = (Vec<u64>, usize)>,
    {
        let mut outcome = Outcome {
            latencies_us: Vec::new(),
            errors: 0,
            elapsed: std::time::Duration::ZERO,
        };
        for (latencies, errors) in futures::future::join_all(workers).await {
            outcome.latencies_us.extend(latencies);
            outcome.errors += errors;
        }
        outcome.latencies_us.sort_unstable();
        outcome.elapsed = started.elapsed();
        outcome
    }

    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`th percentile latency, in milliseconds.
    pub fn percentile(&self, p: f64) -> f64 {
        let sorted = &self.latencies_us;
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    }
}

/// Serves the router `make` builds on a single-threaded runtime of its own (one core), as
/// `serve` serves it; returns the base URL and a stopper.
pub fn serve_on_own_thread(
    make: impl FnOnce() -> axum::Router + Send + 'static,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Named, so a profiler can tell the server's samples from the driver's.
    let thread = std::thread::Builder::new().name(String::from("bench-server"));
    let _ = thread.spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let router = make();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            ready_tx.send(format!("http://{addr}")).expect("ready");
            frontmcp_auth::serve_router(listener, router, async move {
                let _ = stop_rx.await;
            })
            .await
            .expect("serve");
        });
    });
    let base = ready_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("server up");
    (base, stop_tx)
}
