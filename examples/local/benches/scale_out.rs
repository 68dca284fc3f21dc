//! Scale-out throughput (issue 21): refreshes and tool calls per second of one instance and of
//! three, on one Redis and on a Redis Cluster (three masters, three replicas), measured in one
//! run. Each instance is this example's own binary (the README's main job), a separate process;
//! the load driver spreads requests round robin over the instances itself (each request on the
//! next one), so every tool call of a worker's one MCP session after the first lands on an
//! instance that did not create it (`http.mcp_sessions = "shared"`).
//!
//! Per measurement: `FRONTMCP_SCALE_WORKERS` (default 32) concurrent workers, each with its own
//! login (8 subjects, the demo login), for `FRONTMCP_SCALE_SECONDS` (default 10) per kind of
//! traffic: tool calls (`whoami`, one MCP session per worker) then refreshes (each worker
//! rotating its own family). `FRONTMCP_SCALE_TOPOLOGIES` (default
//! `redis-1,redis-3,cluster-1,cluster-3`) chooses the rows.
//!
//! First, the store operations of each user-facing step, counted by Redis itself (`INFO
//! commandstats`, summed over the cluster's masters), on one instance and on a second one that
//! meets a session the first created.
//!
//! Run with `cargo bench -p example-local --bench scale_out`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisCluster, RedisServer, env_number};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");
const SUBJECTS: usize = 8;

/// Counts of one kind of traffic.
#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    unavailable: AtomicU64,
    failed: AtomicU64,
    latency_us: AtomicU64,
}

impl Counts {
    fn record(&self, status: u16, started: Instant) {
        match status {
            200..=299 => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                self.latency_us
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            }
            503 => {
                self.unavailable.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn line(&self, seconds: u64) -> String {
        let ok = self.ok.load(Ordering::Relaxed);
        format!(
            "{:>8.0}/s  mean {:>6.2} ms  (503: {}, other failures: {})",
            ok as f64 / seconds as f64,
            self.latency_us.load(Ordering::Relaxed) as f64 / ok.max(1) as f64 / 1000.0,
            self.unavailable.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Runs `work` for every login at once until `seconds` have passed: the counts it recorded, and
/// the Redis CPU seconds used meanwhile.
async fn phase<F, Fut>(
    logins: &[serde_json::Value],
    ports: &[u16],
    seconds: u64,
    work: F,
) -> (Arc<Counts>, f64)
where
    F: Fn(usize, &serde_json::Value, Instant, Arc<Counts>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let counts = Arc::new(Counts::default());
    let cpu = redis_cpu(ports);
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = logins
        .iter()
        .enumerate()
        .map(|(w, tokens)| tokio::spawn(work(w, tokens, until, counts.clone())))
        .collect();
    for task in tasks {
        task.await.expect("worker");
    }
    (counts, redis_cpu(ports) - cpu)
}

async fn measure(
    name: &str,
    env: &[(&str, &str)],
    ports: &[u16],
    instances: usize,
    workers: usize,
    seconds: u64,
) {
    let servers: Vec<ExampleServer> = (0..instances)
        .map(|_| ExampleServer::start(BINARY, env))
        .collect();
    let bases: Arc<Vec<String>> = Arc::new(servers.iter().map(ExampleServer::base_url).collect());
    let flow = Flow::default();
    let client_id = flow.register(&bases[0]).await;
    let mut logins = Vec::new();
    for w in 0..workers {
        let subject = format!("user{}@example.com", w % SUBJECTS);
        let tokens = flow
            .try_sign_in(&bases[w % instances], &client_id, &subject)
            .await
            .expect("sign in");
        logins.push(tokens);
    }

    // Tool calls: one MCP session per worker, each call on the next instance.
    let (calls, calls_cpu) = phase(&logins, ports, seconds, |w, tokens, until, calls| {
        let (flow, bases) = (flow.clone(), bases.clone());
        let access = tokens["access_token"].as_str().expect("access").to_owned();
        async move {
            let mut session = flow
                .mcp(&format!("{}/mcp", bases[w % bases.len()]), &access)
                .await
                .expect("initialize");
            let mut i = w;
            while Instant::now() < until {
                i += 1;
                session.move_to(&format!("{}/mcp", bases[i % bases.len()]));
                let started = Instant::now();
                let status = match session.call("whoami", json!({})).await {
                    Ok(message) if message.get("result").is_some() => 200,
                    Ok(_) => 500,
                    Err(status) => status,
                };
                calls.record(status, started);
            }
        }
    })
    .await;
    // Refreshes: each worker rotates its own family, each refresh on the next instance.
    let (refreshes, refreshes_cpu) = phase(&logins, ports, seconds, |w, tokens, until, counts| {
        let (flow, bases, client_id) = (flow.clone(), bases.clone(), client_id.clone());
        let mut refresh = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        async move {
            let mut i = w;
            while Instant::now() < until {
                i += 1;
                let started = Instant::now();
                let reply = flow
                    .refresh(&bases[i % bases.len()], &client_id, &refresh)
                    .await;
                if reply.status == 200 {
                    refresh = reply.json()["refresh_token"]
                        .as_str()
                        .expect("refresh")
                        .to_owned();
                }
                counts.record(reply.status, started);
            }
        }
    })
    .await;
    let per_op =
        |cpu: f64, counts: &Counts| cpu * 1e6 / counts.ok.load(Ordering::Relaxed).max(1) as f64;
    println!(
        "{name:<10} {instances} instance(s)  tool calls {}  Redis CPU {:.0} us/op",
        calls.line(seconds),
        per_op(calls_cpu, &calls)
    );
    println!(
        "{name:<10} {instances} instance(s)  refreshes  {}  Redis CPU {:.0} us/op",
        refreshes.line(seconds),
        per_op(refreshes_cpu, &refreshes)
    );
}

/// `INFO` of the Redis servers on `ports`, section `section`, as text.
fn info(ports: &[u16], section: &str) -> Vec<String> {
    ports
        .iter()
        .map(|port| {
            let output = std::process::Command::new("redis-cli")
                .args(["-p", &port.to_string(), "INFO", section])
                .output()
                .expect("redis-cli");
            String::from_utf8_lossy(&output.stdout).into_owned()
        })
        .collect()
}

/// Commands the Redis servers on `ports` executed so far, by name (less the `INFO` calls).
fn command_counts(ports: &[u16]) -> std::collections::BTreeMap<String, u64> {
    let mut counts = std::collections::BTreeMap::new();
    for text in info(ports, "commandstats") {
        for line in text.lines() {
            let Some((name, rest)) = line
                .strip_prefix("cmdstat_")
                .and_then(|l| l.split_once(':'))
            else {
                continue;
            };
            if name == "info" {
                continue;
            }
            let calls = rest
                .split("calls=")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .and_then(|c| c.parse::<u64>().ok())
                .unwrap_or(0);
            *counts.entry(name.to_owned()).or_default() += calls;
        }
    }
    counts
}

/// The commands run since `before`: how many, and by name.
fn since(ports: &[u16], before: &std::collections::BTreeMap<String, u64>) -> (u64, String) {
    let mut total = 0;
    let mut names = Vec::new();
    for (name, n) in command_counts(ports) {
        let d = n - before.get(&name).copied().unwrap_or(0);
        if d > 0 {
            total += d;
            names.push(format!("{name} {d}"));
        }
    }
    (total, names.join(", "))
}

/// CPU seconds (user and system) the Redis servers on `ports` used so far.
fn redis_cpu(ports: &[u16]) -> f64 {
    info(ports, "cpu")
        .iter()
        .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| l.starts_with("used_cpu_sys:") || l.starts_with("used_cpu_user:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .sum()
}

/// Store operations per step, on two instances sharing the store on `ports`.
async fn operations(name: &str, env: &[(&str, &str)], ports: &[u16]) {
    let servers: Vec<ExampleServer> = (0..2).map(|_| ExampleServer::start(BINARY, env)).collect();
    let (a, b) = (servers[0].base_url(), servers[1].base_url());
    let flow = Flow::default();
    // Warm both (scripts loaded, caches filled) with one full round first.
    let warm = flow.register(&a).await;
    let tokens = flow
        .try_sign_in(&a, &warm, "warm@example.com")
        .await
        .expect("login");
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    assert_eq!(flow.refresh(&a, &warm, refresh).await.status, 200);
    let mut session = flow.mcp(&format!("{a}/mcp"), &access).await.expect("mcp");
    let _ = session.call("whoami", json!({})).await;
    let _ = flow.whoami(&format!("{b}/mcp"), &access).await;

    let mut report = Vec::new();
    let before = command_counts(ports);
    let client_id = flow.register(&a).await;
    report.push(("registration", since(ports, &before)));
    let before = command_counts(ports);
    let tokens = flow
        .try_sign_in(&a, &client_id, "ops@example.com")
        .await
        .expect("login");
    report.push((
        "login (authorize, sign-in, code, token)",
        since(ports, &before),
    ));
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let before = command_counts(ports);
    let reply = flow.refresh(&a, &client_id, &refresh).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    report.push(("refresh", since(ports, &before)));
    let access = reply.json()["access_token"]
        .as_str()
        .map_or(access, str::to_owned);
    let before = command_counts(ports);
    let mut session = flow.mcp(&format!("{a}/mcp"), &access).await.expect("mcp");
    report.push(("MCP initialize (and initialized)", since(ports, &before)));
    let _ = session.call("whoami", json!({})).await;
    let before = command_counts(ports);
    let _ = session.call("whoami", json!({})).await;
    report.push(("tool call", since(ports, &before)));
    session.move_to(&format!("{b}/mcp"));
    let before = command_counts(ports);
    let _ = session.call("whoami", json!({})).await;
    report.push(("first tool call on another instance", since(ports, &before)));
    let before = command_counts(ports);
    let _ = session.call("whoami", json!({})).await;
    report.push(("later tool calls there", since(ports, &before)));
    for (step, (total, names)) in report {
        println!("{name:<10} {step}: {total} ({names})");
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let seconds = env_number("FRONTMCP_SCALE_SECONDS", 10);
    let workers = env_number("FRONTMCP_SCALE_WORKERS", 32) as usize;
    let topologies = std::env::var("FRONTMCP_SCALE_TOPOLOGIES")
        .unwrap_or_else(|_| String::from("redis-1,redis-3,cluster-1,cluster-3"));
    println!("scale-out: {workers} workers, {seconds} s per kind of traffic, release build");
    let redis = RedisServer::start_with(&["--appendfsync", "everysec"]);
    let cluster = RedisCluster::start();
    let base_env = [
        ("JWT_SECRET", SECRET.to_owned()),
        ("FRONTMCP_LOGGING__LEVEL", String::from("error")),
        ("FRONTMCP_AUTH__LOGIN__AUTHENTICATOR", String::from("demo")),
        ("FRONTMCP_PUBLIC_URL", String::from("http://127.0.0.1")),
        (
            "FRONTMCP_SECURITY__RATE_LIMITS__ENABLED",
            String::from("false"),
        ),
    ];
    let store_env = |prefix: &str, cluster_mode: bool| {
        let mut env: Vec<(&str, String)> = base_env.to_vec();
        env.push((
            "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX",
            prefix.to_owned(),
        ));
        if cluster_mode {
            env.push((
                "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__CLUSTER",
                serde_json::to_string(&cluster.seeds()).expect("json"),
            ));
        } else {
            env.push((
                "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST",
                String::from("127.0.0.1"),
            ));
            env.push(("REDIS_PORT", redis.port.to_string()));
        }
        env
    };
    for (name, cluster_mode, ports) in [
        ("redis", false, vec![redis.port]),
        ("cluster", true, cluster.masters()),
    ] {
        let env = store_env("ops:", cluster_mode);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        operations(name, &env, &ports).await;
    }
    for (n, topology) in topologies.split(',').enumerate() {
        let Some((store, count)) = topology.trim().split_once('-') else {
            continue;
        };
        let instances: usize = count.parse().expect("an instance count");
        let cluster_mode = match store {
            "redis" => false,
            "cluster" => true,
            other => panic!("unknown store {other}"),
        };
        let env = store_env(&format!("scale{n}:"), cluster_mode);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let ports = if cluster_mode {
            cluster.masters()
        } else {
            vec![redis.port]
        };
        measure(store, &env, &ports, instances, workers, seconds).await;
    }
}
