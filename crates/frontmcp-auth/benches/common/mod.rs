#![allow(dead_code)]

//! What the in-process benchmarks share: form parameters and the authorize request of the
//! pre-registered bench client.

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
    /// Joins the workers' `(latencies, errors)`; `started` is when they began.
    pub async fn collect(
        workers: Vec<tokio::task::JoinHandle<(Vec<u64>, usize)>>,
        started: std::time::Instant,
    ) -> Outcome {
        let mut outcome = Outcome {
            latencies_us: Vec::new(),
            errors: 0,
            elapsed: std::time::Duration::ZERO,
        };
        for worker in workers {
            let (latencies, errors) = worker.await.expect("worker");
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
