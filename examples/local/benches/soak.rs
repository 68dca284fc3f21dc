//! The soak (issue 19): the README's main job (this example's own binary, as a separate process)
//! under a bounded run of mixed traffic on each backend, sampled at regular intervals: resident
//! memory, open files, the store's size, and the p99 latency of the interval's requests. It
//! fails when any of them trends up after the warm-up, or when a legitimate request gets a 5xx.
//!
//! Traffic, per second: 2 logins (3 subjects, the demo login), 1 registration, 20 refreshes,
//! 40 tool calls, 20 hostile requests (the fuzzer's mutations of every request the server
//! knows). The configuration keeps every lifetime short enough to reach its steady state within
//! the warm-up: access tokens 60 s (so codes are kept 120 s), `dcr.client_ttl` 120 s,
//! `max_concurrent_sessions` 20 per user.
//!
//! Run with `cargo bench -p example-local --bench soak`. `FRONTMCP_SOAK_SECONDS` (default 600)
//! sets each backend's run, `FRONTMCP_SOAK_BACKENDS` (default `memory,sqlite,redis`) the
//! backends, `FRONTMCP_SOAK_SAMPLES` (default 10) the samples per run, `FRONTMCP_SOAK_TRAFFIC`
//! (default `login,register,refresh,tools,hostile`) the kinds of traffic.

use frontmcp_auth_testkit::env_number;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::fuzz::mutate::{Rng, mutate};
use frontmcp_auth_testkit::fuzz::seeds::{Target, templates};
use frontmcp_auth_testkit::fuzz::wire::{Outcome, exchange};
use frontmcp_auth_testkit::{ExampleServer, RedisServer};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");
const SUBJECTS: [&str; 3] = ["ada@example.com", "bob@example.com", "cy@example.com"];

/// What one interval saw.
#[derive(Debug, Default, Clone)]
struct Sample {
    rss_kib: u64,
    open_files: u64,
    store: u64,
    p99_ms: f64,
    requests: usize,
    server_errors: usize,
}

/// Latencies and 5xx of legitimate requests in the current interval.
#[derive(Default)]
struct Interval {
    latencies: Vec<Duration>,
    server_errors: usize,
}

type Shared = Arc<Mutex<Interval>>;

/// What every traffic task shares.
#[derive(Clone)]
struct Driver {
    flow: Flow,
    base: String,
    client_id: String,
    mcp_url: String,
    pool: Arc<Mutex<Pool>>,
    interval: Shared,
}

impl Driver {
    /// Counts a legitimate request that started at `started` and answered `status`.
    fn record(&self, started: Instant, status: u16) {
        let mut interval = self.interval.lock().expect("interval");
        interval.latencies.push(started.elapsed());
        if status >= 500 && status != 503 {
            interval.server_errors += 1;
        }
    }
}

fn proc_value(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn open_files(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// How the store's size is read.
enum StoreSize {
    /// In the process: its resident memory says it.
    Memory,
    /// The database file and its journal, in bytes.
    Sqlite(PathBuf),
    /// The keys Redis holds.
    Redis(RedisServer),
}

impl StoreSize {
    fn read(&self) -> u64 {
        match self {
            StoreSize::Memory => 0,
            StoreSize::Sqlite(path) => ["", "-wal", "-shm"]
                .iter()
                .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
                .map(|m| m.len())
                .sum(),
            StoreSize::Redis(server) => server.cli(&["DBSIZE"]).parse().unwrap_or(0),
        }
    }

    fn unit(&self) -> &'static str {
        match self {
            StoreSize::Memory => "-",
            StoreSize::Sqlite(_) => "bytes",
            StoreSize::Redis(_) => "keys",
        }
    }
}

/// Runs `every` seconds apart until `until`: `op` each time.
fn ticker<F, Fut>(period: Duration, until: Instant, mut op: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while Instant::now() < until {
            interval.tick().await;
            op().await;
        }
    })
}

/// Live credentials the traffic draws on.
#[derive(Default)]
struct Pool {
    refresh: Vec<String>,
    access: Vec<String>,
    next: usize,
}

impl Pool {
    /// Keeps the tokens of a token response: at most 200 refresh tokens (sessions beyond the
    /// per-user limit end, and their tokens are dropped when refused) and the 50 newest access
    /// tokens.
    fn add(&mut self, tokens: &Value) {
        let text = |name: &str| tokens[name].as_str().unwrap_or_default().to_owned();
        self.refresh.push(text("refresh_token"));
        self.access.push(text("access_token"));
        let keep = self.refresh.len().saturating_sub(200);
        self.refresh.drain(..keep);
        let keep = self.access.len().saturating_sub(50);
        self.access.drain(..keep);
    }
}

async fn soak(
    name: &str,
    env: Vec<(&'static str, String)>,
    size: StoreSize,
    seconds: u64,
    samples: u64,
) -> bool {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ExampleServer::start(BINARY, &env);
    let pid = server.process.id();
    let base = server.base_url();
    let flow = Flow::default();
    let client_id = flow.register(&base).await;
    let pool = Arc::new(Mutex::new(Pool::default()));
    for subject in SUBJECTS {
        let tokens = flow
            .try_sign_in(&base, &client_id, subject)
            .await
            .expect("sign in");
        pool.lock().expect("pool").add(&tokens);
    }
    let target = Target {
        base: base.clone(),
        mcp_path: String::from("/mcp"),
        tool: (String::from("whoami"), json!({})),
        admin_token: None,
    };
    let hostile = Arc::new(templates(&target).await);
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().expect("addr");

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let interval: Shared = Arc::default();
    let driver = Driver {
        flow: flow.clone(),
        base: base.clone(),
        client_id: client_id.clone(),
        mcp_url: server.mcp_url.clone(),
        pool: pool.clone(),
        interval: interval.clone(),
    };
    let ms = Duration::from_millis;
    let mut tasks = Vec::new();
    let traffic = std::env::var("FRONTMCP_SOAK_TRAFFIC")
        .unwrap_or_else(|_| String::from("login,register,refresh,tools,hostile"));
    let on = |kind: &str| traffic.split(',').any(|k| k.trim() == kind);

    // Logins, round robin over the subjects.
    let d = driver.clone();
    let mut turn = 0usize;
    if on("login") {
        tasks.push(ticker(ms(500), until, move || {
            let d = d.clone();
            turn += 1;
            let subject = SUBJECTS[turn % SUBJECTS.len()];
            async move {
                let t = Instant::now();
                match d.flow.try_sign_in(&d.base, &d.client_id, subject).await {
                    Ok(tokens) => {
                        d.record(t, 200);
                        d.pool.lock().expect("pool").add(&tokens);
                    }
                    Err(status) => d.record(t, status),
                }
            }
        }));
    }
    // Registrations.
    let d = driver.clone();
    if on("register") {
        tasks.push(ticker(ms(1000), until, move || {
            let d = d.clone();
            async move {
                let t = Instant::now();
                let metadata = json!({
                    "redirect_uris": [frontmcp_auth_testkit::flow::REDIRECT],
                    "token_endpoint_auth_method": "none",
                });
                let sent = d
                    .flow
                    .http
                    .post(format!("{}/oauth/register", d.base))
                    .json(&metadata)
                    .send()
                    .await;
                d.record(t, sent.map_or(0, |r| r.status().as_u16()));
            }
        }));
    }
    // Refreshes, each of a token drawn from the pool.
    let d = driver.clone();
    if on("refresh") {
        tasks.push(ticker(ms(50), until, move || {
            let d = d.clone();
            async move {
                let token = {
                    let mut pool = d.pool.lock().expect("pool");
                    if pool.refresh.is_empty() {
                        return;
                    }
                    pool.next = (pool.next + 1) % pool.refresh.len();
                    let at = pool.next;
                    pool.refresh.swap_remove(at)
                };
                let t = Instant::now();
                let reply = d.flow.refresh(&d.base, &d.client_id, &token).await;
                d.record(t, reply.status);
                if reply.status == 200 {
                    d.pool.lock().expect("pool").add(&reply.json());
                }
            }
        }));
    }
    // Tool calls, each in a session of its own with the newest access token.
    let d = driver.clone();
    if on("tools") {
        tasks.push(ticker(ms(25), until, move || {
            let d = d.clone();
            async move {
                let Some(token) = d.pool.lock().expect("pool").access.last().cloned() else {
                    return;
                };
                let t = Instant::now();
                let status = d
                    .flow
                    .whoami(&d.mcp_url, &token)
                    .await
                    .map_or_else(|s| s, |_| 200);
                d.record(t, status);
            }
        }));
    }
    // Hostile requests: not timed, never a 5xx (the fuzzer's rule), counted with the rest.
    let d = driver.clone();
    let mut rng = Rng::new(19);
    if on("hostile") {
        tasks.push(ticker(ms(50), until, move || {
            let template = rng.pick(&hostile).clone();
            let wire = mutate(&mut rng, &template, &addr.to_string());
            let d = d.clone();
            async move {
                let outcome = exchange(
                    addr,
                    &wire.bytes(),
                    wire.half_close,
                    Duration::from_secs(10),
                    64 * 1024,
                )
                .await;
                if let Outcome::Answered { status, .. } = outcome
                    && status >= 500
                    && status != 503
                {
                    d.interval.lock().expect("interval").server_errors += 1;
                }
            }
        }));
    }

    let mut taken = Vec::new();
    let period = Duration::from_secs(seconds / samples.max(1));
    println!("{name}: {seconds} s, a sample every {} s", period.as_secs());
    println!(
        "{name}: min  rss_kib  open_files  store({})  p99_ms  requests  5xx",
        size.unit()
    );
    for n in 1..=samples {
        tokio::time::sleep_until((started + period * n as u32).into()).await;
        let interval = std::mem::take(&mut *interval.lock().expect("interval"));
        let mut latencies = interval.latencies;
        latencies.sort();
        let p99 = latencies
            .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let sample = Sample {
            rss_kib: proc_value(pid, "VmRSS:"),
            open_files: open_files(pid),
            store: size.read(),
            p99_ms: p99,
            requests: latencies.len(),
            server_errors: interval.server_errors,
        };
        println!(
            "{name}: {:>4.1}  {:>7}  {:>10}  {:>12}  {:>6.1}  {:>8}  {:>3}",
            (period * n as u32).as_secs_f64() / 60.0,
            sample.rss_kib,
            sample.open_files,
            sample.store,
            sample.p99_ms,
            sample.requests,
            sample.server_errors
        );
        taken.push(sample);
    }
    for task in tasks {
        task.abort();
    }
    judge(name, &taken)
}

/// A figure of a sample, the factor and the margin it may grow by after the warm-up.
type Figure = (&'static str, fn(&Sample) -> f64, f64, f64);

/// Whether the run held steady: after the warm-up (the first 40 % of the samples), the last
/// samples stay within a margin of the warm-up's end, and no legitimate request got a 5xx.
fn judge(name: &str, samples: &[Sample]) -> bool {
    let warm = (samples.len() * 2 / 5).max(1);
    let base = &samples[warm - 1];
    let tail = &samples[samples.len().saturating_sub(3).max(warm)..];
    // Each figure, and how far past its value at the warm-up's end it may go: × factor + margin.
    let figures: [Figure; 4] = [
        ("rss_kib", |s| s.rss_kib as f64, 1.25, 8_192.0),
        ("open_files", |s| s.open_files as f64, 1.0, 16.0),
        ("store", |s| s.store as f64, 1.25, 65_536.0),
        ("p99_ms", |s| s.p99_ms, 2.0, 5.0),
    ];
    let mut ok = true;
    for (what, figure, factor, margin) in figures {
        let at_warm = figure(base);
        let last = tail.iter().map(figure).fold(0.0, f64::max);
        let allowed = at_warm * factor + margin;
        if last > allowed {
            println!(
                "{name}: FAIL {what} rose from {at_warm:.1} to {last:.1} (allowed {allowed:.1})"
            );
            ok = false;
        }
    }
    let errors: usize = samples.iter().map(|s| s.server_errors).sum();
    if errors > 0 {
        println!("{name}: FAIL {errors} responses were a 5xx other than 503");
        ok = false;
    }
    println!("{name}: {}", if ok { "steady" } else { "NOT steady" });
    ok
}

fn main() {
    let seconds = env_number("FRONTMCP_SOAK_SECONDS", 600);
    let samples = env_number("FRONTMCP_SOAK_SAMPLES", 10);
    let backends = std::env::var("FRONTMCP_SOAK_BACKENDS")
        .unwrap_or_else(|_| String::from("memory,sqlite,redis"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let mut steady = true;
    for backend in backends.split(',').map(str::trim) {
        let mut env: Vec<(&'static str, String)> = vec![
            ("JWT_SECRET", SECRET.to_owned()),
            ("FRONTMCP_LOGGING__LEVEL", String::from("warn")),
            ("FRONTMCP_AUTH__LOGIN__AUTHENTICATOR", String::from("demo")),
            (
                "FRONTMCP_AUTH__REFRESH__ACCESS_TOKEN_TTL",
                String::from("60"),
            ),
            ("FRONTMCP_AUTH__DCR__CLIENT_TTL", String::from("120")),
            (
                "FRONTMCP_SECURITY__MAX_CONCURRENT_SESSIONS",
                String::from("20"),
            ),
        ];
        let size = match backend {
            "memory" => {
                env.push(("FRONTMCP_AUTH__TOKEN_STORAGE", String::from("memory")));
                StoreSize::Memory
            }
            "sqlite" => {
                let path = dir.path().join("soak.db");
                env.push((
                    "FRONTMCP_AUTH__TOKEN_STORAGE__SQLITE__PATH",
                    path.display().to_string(),
                ));
                StoreSize::Sqlite(path)
            }
            "redis" => {
                let server = RedisServer::start();
                env.push((
                    "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX",
                    String::from("soak:"),
                ));
                env.push(("REDIS_HOST", String::from("127.0.0.1")));
                env.push(("REDIS_PORT", server.port.to_string()));
                StoreSize::Redis(server)
            }
            other => panic!("unknown backend {other}"),
        };
        steady &= runtime.block_on(soak(backend, env, size, seconds, samples));
    }
    if !steady {
        std::process::exit(1);
    }
}
