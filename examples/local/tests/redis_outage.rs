//! Redis goes away in the middle of a load loop and comes back: requests during the outage get
//! 503 (no 500, no panic, no hang past a bounded timeout), service resumes within two seconds
//! of its return, and no refresh family is lost or forked. Twice: Redis killed (connections
//! refused) and Redis frozen (connections open, nothing answers).

use std::time::{Duration, Instant};

use frontmcp_auth::Clock;
use frontmcp_auth::secrets::digest;
use frontmcp_auth::store::{FamilyStore, RedisOptions, RedisStore};
use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisServer};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

/// The longest any request may take while Redis is away.
const BOUND: Duration = Duration::from_secs(4);
/// How long service may take to resume once Redis is back.
const RESUME: Duration = Duration::from_secs(2);

struct Chain {
    flow: Flow,
    base: String,
    mcp_url: String,
    client_id: String,
    refresh: String,
    access: String,
    rotations: u64,
}

impl Chain {
    /// One refresh of the current token: its status and how long it took.
    async fn step(&mut self) -> (u16, Duration) {
        let started = Instant::now();
        let reply = self
            .flow
            .refresh(&self.base, &self.client_id, &self.refresh)
            .await;
        let took = started.elapsed();
        assert!(
            matches!(reply.status, 200 | 503),
            "a refresh got {}: {}",
            reply.status,
            reply.text
        );
        if reply.status == 200 {
            let body = reply.json();
            self.refresh = body["refresh_token"].as_str().expect("refresh").to_owned();
            self.access = body["access_token"].as_str().expect("access").to_owned();
            self.rotations += 1;
        } else {
            assert_eq!(reply.json()["error"], "temporarily_unavailable");
            assert!(
                reply.headers.get("retry-after").is_some(),
                "a 503 says when to retry"
            );
        }
        (reply.status, took)
    }

    /// Refreshes and MCP calls while Redis is away: every one 503, none slower than [`BOUND`].
    async fn outage(&mut self, rounds: usize) {
        for _ in 0..rounds {
            let (status, took) = self.step().await;
            assert_eq!(
                status, 503,
                "the token endpoint answers 503 while Redis is away"
            );
            assert!(took < BOUND, "a refresh hung for {took:?}");
            let started = Instant::now();
            let call = self.flow.whoami(&self.mcp_url, &self.access).await;
            assert_eq!(call, Err(503), "an MCP call that needs storage answers 503");
            assert!(
                started.elapsed() < BOUND,
                "an MCP call hung for {:?}",
                started.elapsed()
            );
        }
    }

    /// Steps until a refresh succeeds; how long that took.
    async fn resume(&mut self) -> Duration {
        let back = Instant::now();
        for _ in 0..200 {
            if self.step().await.0 == 200 {
                return back.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("service did not resume");
    }

    async fn load(&mut self, rounds: usize) {
        for _ in 0..rounds {
            assert_eq!(self.step().await.0, 200);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_gets_503s_and_service_resumes() {
    let mut redis = RedisServer::start();
    let port = redis.port.to_string();
    let env = [
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST", "127.0.0.1"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX", "outage:"),
        ("REDIS_PORT", port.as_str()),
    ];
    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    let flow = Flow::default();
    let base = server.base_url();
    let client_id = flow.register(&base).await;
    let code = flow.authorize(&base, &client_id, "ada@example.com").await;
    let tokens = flow.exchange(&base, &client_id, &code).await;
    let mut chain = Chain {
        flow,
        base,
        mcp_url: server.mcp_url.clone(),
        client_id,
        refresh: tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned(),
        access: tokens["access_token"].as_str().expect("access").to_owned(),
        rotations: 0,
    };
    chain.load(10).await;
    let (probe_http, probe_base) = (chain.flow.http.clone(), chain.base.clone());
    let probe = |path: &'static str| {
        let (http, base) = (probe_http.clone(), probe_base.clone());
        async move {
            http.get(format!("{base}{path}"))
                .send()
                .await
                .expect("probe")
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        (probe("/healthz").await, probe("/readyz").await),
        (200, 200)
    );

    redis.kill();
    chain.outage(5).await;
    // A balancer's readiness check takes the instance out while its store is away; it is
    // still alive.
    assert_eq!(
        (probe("/healthz").await, probe("/readyz").await),
        (200, 503)
    );
    redis.resume();
    let resumed = chain.resume().await;
    assert_eq!(probe("/readyz").await, 200, "ready again");
    assert!(resumed < RESUME, "service resumed after {resumed:?}");
    chain.load(10).await;
    assert!(
        chain
            .flow
            .whoami(&chain.mcp_url, &chain.access)
            .await
            .is_ok()
    );

    redis.freeze();
    chain.outage(2).await;
    redis.thaw();
    let resumed = chain.resume().await;
    assert!(resumed < RESUME, "service resumed after {resumed:?}");
    chain.load(10).await;

    let store = RedisStore::connect(
        &RedisOptions {
            host: "127.0.0.1".into(),
            port: redis.port,
            password: None,
            db: 0,
            tls: false,
            key_prefix: "outage:".into(),
            cluster: Vec::new(),
        },
        Clock::system(),
    )
    .expect("redis");
    let lookup = store
        .family_by_token(&digest(&chain.refresh))
        .await
        .expect("lookup")
        .expect("the family outlived both outages");
    assert!(!lookup.family.revoked);
    assert_eq!(
        (lookup.generation, lookup.family.generation),
        (chain.rotations, chain.rotations),
        "one generation per successful refresh: nothing lost, nothing forked"
    );
}
