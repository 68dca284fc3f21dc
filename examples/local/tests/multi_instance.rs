//! Three server processes behind one Redis, or one Redis Cluster, behave as one authorization
//! server: a client registers on the first, is authorized on the second, exchanges the code on
//! the third and refreshes through all three; then 50 concurrent refreshes of one refresh token,
//! spread over the three, rotate it exactly once and the family never forks. On the cluster,
//! the master holding the family is then killed: its replica takes over, requests meanwhile
//! answer 503 (never 500), and the family goes on, neither lost nor forked.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use frontmcp_auth::Clock;
use frontmcp_auth::secrets::digest;
use frontmcp_auth::store::{FamilyStore, RedisOptions, RedisStore};
use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisCluster, RedisServer};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

const CONCURRENT: usize = 50;

/// What the three instances share.
enum Shared {
    Redis(RedisServer),
    Cluster(RedisCluster),
}

impl Shared {
    /// The instances' environment naming it.
    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("JWT_SECRET", SECRET.to_owned()),
            // One public URL for all three, as behind a load balancer.
            ("FRONTMCP_PUBLIC_URL", "http://127.0.0.1".to_owned()),
            (
                "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX",
                "multi:".to_owned(),
            ),
            ("FRONTMCP_LOGGING__LEVEL", "warn".to_owned()),
        ];
        match self {
            Shared::Redis(redis) => {
                env.push((
                    "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST",
                    "127.0.0.1".into(),
                ));
                env.push(("REDIS_PORT", redis.port.to_string()));
            }
            Shared::Cluster(cluster) => env.push((
                "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__CLUSTER",
                serde_json::to_string(&cluster.seeds()).expect("json"),
            )),
        }
        env
    }

    /// A store on it, as the instances see it.
    fn store(&self) -> RedisStore {
        let (host, port, cluster) = match self {
            Shared::Redis(redis) => ("127.0.0.1".to_owned(), redis.port, Vec::new()),
            Shared::Cluster(cluster) => (String::new(), 0, cluster.seeds()),
        };
        RedisStore::connect(
            &RedisOptions {
                host,
                port,
                password: None,
                db: 0,
                tls: false,
                key_prefix: "multi:".into(),
                cluster,
            },
            Clock::system(),
        )
        .expect("redis")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_one_redis() {
    three_instances_share(Shared::Redis(RedisServer::start())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_one_redis_cluster_through_a_failover() {
    three_instances_share(Shared::Cluster(RedisCluster::start())).await;
}

async fn three_instances_share(mut shared: Shared) {
    let env = shared.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let servers: Vec<ExampleServer> = (0..3)
        .map(|_| ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]))
        .collect();
    let bases: Vec<String> = servers.iter().map(ExampleServer::base_url).collect();
    let flow = Flow::default();

    let client_id = flow.register(&bases[0]).await;
    let code = flow
        .authorize(&bases[1], &client_id, "ada@example.com")
        .await;
    let tokens = flow.exchange(&bases[2], &client_id, &code).await;
    let mut refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let mut access = tokens["access_token"].as_str().expect("access").to_owned();
    for step in 0..6 {
        let reply = flow.refresh(&bases[step % 3], &client_id, &refresh).await;
        assert_eq!(
            reply.status,
            200,
            "refresh {step} on instance {}: {}",
            step % 3,
            reply.text
        );
        refresh = reply.json()["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        access = reply.json()["access_token"]
            .as_str()
            .expect("access")
            .to_owned();
    }
    for server in &servers {
        let who = flow.whoami(&server.mcp_url, &access).await;
        assert!(
            who.as_deref().is_ok_and(|w| w.contains("ada@example.com")),
            "every instance accepts the token: {who:?}"
        );
    }

    let store = shared.store();
    let before = store
        .family_by_token(&digest(&refresh))
        .await
        .expect("lookup")
        .expect("the current token's family");
    assert_eq!(before.generation, 6, "six rotations across three instances");

    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let (flow, base, client_id, refresh) = (
                flow.clone(),
                bases[i % 3].clone(),
                client_id.clone(),
                refresh.clone(),
            );
            tokio::spawn(async move { flow.refresh(&base, &client_id, &refresh).await })
        })
        .collect();
    let mut issued = BTreeSet::new();
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        let reply = task.await.expect("task");
        match reply.status {
            200 => {
                ok += 1;
                issued.insert(
                    reply.json()["refresh_token"]
                        .as_str()
                        .expect("refresh")
                        .to_owned(),
                );
            }
            400 => {
                assert_eq!(reply.json()["error"], "invalid_grant", "{}", reply.text);
                refused += 1;
            }
            other => panic!("a concurrent refresh got {other}: {}", reply.text),
        }
    }
    assert_eq!(ok + refused, CONCURRENT);
    assert!(ok >= 1, "at least the winner succeeds");
    assert_eq!(
        issued.len(),
        1,
        "exactly one rotation: every success carries the same new token (grace replays)"
    );
    let after = store
        .family(&before.family.id)
        .await
        .expect("read")
        .expect("family");
    assert_eq!(after.generation, 7, "one generation further, not more");
    assert!(
        !after.revoked,
        "a burst within the grace window is not reuse"
    );
    let winner = issued.into_iter().next().expect("one token");
    let lookup = store
        .family_by_token(&digest(&winner))
        .await
        .expect("lookup")
        .expect("the new token belongs to the family");
    assert_eq!(
        (lookup.family.id, lookup.generation),
        (before.family.id, 7),
        "no fork"
    );
    let next = flow.refresh(&bases[0], &client_id, &winner).await;
    assert_eq!(next.status, 200, "the family goes on: {}", next.text);
    let mut next = next.json();
    if let Shared::Cluster(cluster) = &mut shared {
        next = through_a_failover(cluster, &store, &flow, &bases, &servers, &client_id, next).await;
    }

    // Every instance has now seen the session live (and keeps it in its session cache); a
    // revocation on one of them is refused on the very next call on each of the others.
    let access = next["access_token"].as_str().expect("access").to_owned();
    for server in &servers {
        let who = flow.whoami(&server.mcp_url, &access).await;
        assert!(who.is_ok(), "accepted before the revocation: {who:?}");
    }
    let revoked = flow
        .http
        .post(format!("{}/oauth/revoke", bases[0]))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(frontmcp_auth_testkit::flow::form(&[
            ("token", &access),
            ("client_id", &client_id),
        ]))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    for (i, server) in servers.iter().enumerate() {
        let who = flow.whoami(&server.mcp_url, &access).await;
        assert_eq!(
            who,
            Err(401),
            "instance {i} refuses the revoked session at once"
        );
    }
}

/// Kills the master holding the family (its replica takes over after the node timeout) and
/// refreshes through the three instances until three more rotations went through: meanwhile
/// every answer is 200 or 503, never 500; afterwards the family is where the successes left it.
async fn through_a_failover(
    cluster: &mut RedisCluster,
    store: &RedisStore,
    flow: &Flow,
    bases: &[String],
    servers: &[ExampleServer],
    client_id: &str,
    tokens: serde_json::Value,
) -> serde_json::Value {
    let mut refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let mut access = tokens["access_token"].as_str().expect("access").to_owned();
    let before = store
        .family_by_token(&digest(&refresh))
        .await
        .expect("lookup")
        .expect("family");
    let master = cluster.master_of(&format!("multi:family:{}", before.family.id));
    cluster.kill(master);

    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut rotated, mut unavailable, mut step) = (0, 0, 0);
    let mut last = tokens;
    while rotated < 3 {
        assert!(
            Instant::now() < deadline,
            "no failover within 60 s ({unavailable} answers 503)"
        );
        let i = step % 3;
        step += 1;
        let reply = flow.refresh(&bases[i], client_id, &refresh).await;
        match reply.status {
            200 => {
                rotated += 1;
                last = reply.json();
                refresh = last["refresh_token"].as_str().expect("refresh").to_owned();
                access = last["access_token"].as_str().expect("access").to_owned();
            }
            503 => unavailable += 1,
            other => panic!("a refresh during the failover got {other}: {}", reply.text),
        }
        match flow.whoami(&servers[i].mcp_url, &access).await {
            Ok(who) => assert!(who.contains("ada@example.com"), "{who}"),
            Err(503) => unavailable += 1,
            Err(other) => panic!("an MCP call during the failover got {other}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("failover: {unavailable} answers 503 before 3 rotations in {step} steps");
    cluster.wait_until_ok(Duration::from_secs(30));
    let after = store
        .family_by_token(&digest(&refresh))
        .await
        .expect("lookup")
        .expect("the family survives the failover");
    assert_eq!(after.family.id, before.family.id, "not forked");
    assert_eq!(
        after.generation,
        before.generation + 3,
        "one rotation per success"
    );
    assert!(
        !after.family.revoked,
        "no false reuse ({unavailable} answers 503 meanwhile)"
    );
    last
}
