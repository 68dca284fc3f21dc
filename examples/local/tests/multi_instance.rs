//! Three server processes behind one Redis behave as one authorization server: a client
//! registers on the first, is authorized on the second, exchanges the code on the third and
//! refreshes through all three; then 50 concurrent refreshes of one refresh token, spread over
//! the three, rotate it exactly once and the family never forks.

use std::collections::BTreeSet;

use frontmcp_auth::Clock;
use frontmcp_auth::secrets::digest;
use frontmcp_auth::store::{FamilyStore, RedisOptions, RedisStore};
use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisServer};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

const CONCURRENT: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_one_redis() {
    let redis = RedisServer::start();
    let port = redis.port.to_string();
    let env = [
        ("JWT_SECRET", SECRET),
        // One public URL for all three, as behind a load balancer.
        ("FRONTMCP_PUBLIC_URL", "http://127.0.0.1"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST", "127.0.0.1"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX", "multi:"),
        ("REDIS_PORT", port.as_str()),
    ];
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

    let store = RedisStore::connect(
        &RedisOptions {
            host: "127.0.0.1".into(),
            port: redis.port,
            password: None,
            db: 0,
            tls: false,
            key_prefix: "multi:".into(),
        },
        Clock::system(),
    )
    .expect("redis");
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

    // Every instance has now seen the session live (and keeps it in its session cache); a
    // revocation on one of them is refused on the very next call on each of the others.
    let access = next.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
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
