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
//! backends, `FRONTMCP_SOAK_SAMPLES` (default 10) the samples per run.

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

fn record(shared: &Shared, started: Instant, status: u16) {
    let mut interval = shared.lock().expect("interval");
    interval.latencies.push(started.elapsed());
    if status >= 500 && status != 503 {
        interval.server_errors += 1;
    }
}

fn number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
        let mut pool = pool.lock().expect("pool");
        pool.refresh.push(
            tokens["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        pool.access.push(
            tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
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
    let mut tasks = Vec::new();
    let ms = Duration::from_millis;

    // Logins, round robin over the subjects.
    let (f, b, c, p, i) = (
        flow.clone(),
        base.clone(),
        client_id.clone(),
        pool.clone(),
        interval.clone(),
    );
    let mut turn = 0usize;
    tasks.push(ticker(ms(500), until, move || {
        let (f, b, c, p, i) = (f.clone(), b.clone(), c.clone(), p.clone(), i.clone());
        turn += 1;
        let subject = SUBJECTS[turn % SUBJECTS.len()];
        async move {
            let t = Instant::now();
            match f.try_sign_in(&b, &c, subject).await {
                Ok(tokens) => {
                    record(&i, t, 200);
                    let mut pool = p.lock().expect("pool");
                    pool.refresh.push(
                        tokens["refresh_token"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                    pool.access.push(
                        tokens["access_token"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                    // Sessions beyond the per-user limit end; their tokens are dropped when refused.
                    let keep = pool.refresh.len().saturating_sub(200);
                    pool.refresh.drain(..keep);
                    let keep = pool.access.len().saturating_sub(50);
                    pool.access.drain(..keep);
                }
                Err(status) => record(&i, t, status),
            }
        }
    }));
    // Registrations.
    let (f, b, i) = (flow.clone(), base.clone(), interval.clone());
    tasks.push(ticker(ms(1000), until, move || {
        let (f, b, i) = (f.clone(), b.clone(), i.clone());
        async move {
            let t = Instant::now();
            let status = match f
                .http
                .post(format!("{b}/oauth/register"))
                .json(&json!({"redirect_uris": [frontmcp_auth_testkit::flow::REDIRECT], "token_endpoint_auth_method": "none"}))
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            record(&i, t, status);
        }
    }));
    // Refreshes.
    let (f, b, c, p, i) = (
        flow.clone(),
        base.clone(),
        client_id.clone(),
        pool.clone(),
        interval.clone(),
    );
    tasks.push(ticker(ms(50), until, move || {
        let (f, b, c, p, i) = (f.clone(), b.clone(), c.clone(), p.clone(), i.clone());
        async move {
            let token = {
                let mut pool = p.lock().expect("pool");
                if pool.refresh.is_empty() {
                    return;
                }
                pool.next = (pool.next + 1) % pool.refresh.len();
                let at = pool.next;
                pool.refresh.swap_remove(at)
            };
            let t = Instant::now();
            let reply = f.refresh(&b, &c, &token).await;
            record(&i, t, reply.status);
            if reply.status == 200 {
                let tokens: Value = reply.json();
                let mut pool = p.lock().expect("pool");
                pool.refresh.push(
                    tokens["refresh_token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                pool.access.push(
                    tokens["access_token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
                let keep = pool.access.len().saturating_sub(50);
                pool.access.drain(..keep);
            }
        }
    }));
    // Tool calls, each in a session of its own token.
    let (f, url, p, i) = (
        flow.clone(),
        server.mcp_url.clone(),
        pool.clone(),
        interval.clone(),
    );
    tasks.push(ticker(ms(25), until, move || {
        let (f, url, p, i) = (f.clone(), url.clone(), p.clone(), i.clone());
        async move {
            let token = {
                let pool = p.lock().expect("pool");
                match pool.access.last() {
                    Some(token) => token.clone(),
                    None => return,
                }
            };
            let t = Instant::now();
            let status = match f.whoami(&url, &token).await {
                Ok(_) => 200,
                Err(status) => status,
            };
            record(&i, t, status);
        }
    }));
    // Hostile requests: not timed, never a 5xx (the fuzzer's rule), counted with the rest.
    let (h, i) = (hostile.clone(), interval.clone());
    let mut rng = Rng::new(19);
    tasks.push(ticker(ms(50), until, move || {
        let template = rng.pick(&h).clone();
        let wire = mutate(&mut rng, &template, &addr.to_string());
        let i = i.clone();
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
                i.lock().expect("interval").server_errors += 1;
            }
        }
    }));

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

/// Whether the run held steady: after the warm-up (the first 40 % of the samples), the last
/// samples stay within a margin of the warm-up's end, and no legitimate request got a 5xx.
fn judge(name: &str, samples: &[Sample]) -> bool {
    let warm = (samples.len() * 2 / 5).max(1);
    let base = &samples[warm - 1];
    let tail = &samples[samples.len().saturating_sub(3).max(warm)..];
    let max = |f: fn(&Sample) -> f64| tail.iter().map(f).fold(0.0, f64::max);
    let mut ok = true;
    let mut check = |what: &str, at_warm: f64, last: f64, allowed: f64| {
        if last > allowed {
            println!(
                "{name}: FAIL {what} rose from {at_warm:.1} to {last:.1} (allowed {allowed:.1})"
            );
            ok = false;
        }
    };
    check(
        "rss_kib",
        base.rss_kib as f64,
        max(|s| s.rss_kib as f64),
        base.rss_kib as f64 * 1.25 + 8_192.0,
    );
    check(
        "open_files",
        base.open_files as f64,
        max(|s| s.open_files as f64),
        base.open_files as f64 + 16.0,
    );
    check(
        "store",
        base.store as f64,
        max(|s| s.store as f64),
        base.store as f64 * 1.25 + 65_536.0,
    );
    check(
        "p99_ms",
        base.p99_ms,
        max(|s| s.p99_ms),
        base.p99_ms * 2.0 + 5.0,
    );
    let errors: usize = samples.iter().map(|s| s.server_errors).sum();
    if errors > 0 {
        println!("{name}: FAIL {errors} responses were a 5xx other than 503");
        ok = false;
    }
    println!("{name}: {}", if ok { "steady" } else { "NOT steady" });
    ok
}

fn main() {
    let seconds = number("FRONTMCP_SOAK_SECONDS", 600);
    let samples = number("FRONTMCP_SOAK_SAMPLES", 10);
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
