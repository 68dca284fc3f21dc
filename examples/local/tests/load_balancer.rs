//! Three instances on one Redis behind a real load balancer (HAProxy, round robin, no
//! stickiness): the official TypeScript MCP client logs in, lists and calls tools fifty times
//! over one MCP session and refreshes, each request landing on the next instance; an instance
//! is killed mid-session and the client carries on through the other two.

use std::time::Duration;

use frontmcp_auth_testkit::flow::SECRET;
use frontmcp_auth_testkit::{ExampleServer, LoadBalancer, RedisServer, Steps, free_port, run_node};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");

const ROUNDS: usize = 50;
const KILL_AT: usize = 25;

#[test]
fn the_typescript_sdk_keeps_one_session_across_three_instances_behind_round_robin() {
    let redis = RedisServer::start();
    let redis_port = redis.port.to_string();
    let balancer_port = free_port();
    let public_url = format!("http://127.0.0.1:{balancer_port}");
    let env = [
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_PUBLIC_URL", public_url.as_str()),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST", "127.0.0.1"),
        (
            "FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__KEY_PREFIX",
            "balanced:",
        ),
        ("REDIS_PORT", redis_port.as_str()),
        ("FRONTMCP_LOGGING__LEVEL", "warn"),
    ];
    let servers: Vec<ExampleServer> = (0..3)
        .map(|_| ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]))
        .collect();
    let backends: Vec<String> = servers
        .iter()
        .map(|s| s.base_url().trim_start_matches("http://").to_owned())
        .collect();
    let balancer = LoadBalancer::start_on(balancer_port, &backends);
    // The instance killed mid-session is the last one (`s2`).
    let victim = servers[2].process.id().to_string();

    let run = run_node(
        "oauth-client.mjs",
        &[
            &format!("{}/mcp", balancer.base_url()),
            "--email",
            "ada@example.com",
            "--password",
            frontmcp_auth_testkit::TEST_PASSWORD,
            "--call",
            r#"add_note={"text":"balanced"}"#,
            "--call",
            "whoami",
            "--rounds",
            &ROUNDS.to_string(),
            "--kill",
            &format!("{victim}@{KILL_AT}"),
        ],
        Duration::from_secs(180),
    );
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    let report = run.report();
    assert!(report.get("error").is_none(), "{report:#}");
    assert_eq!(report["logins"], 1, "one login: {report:#}");
    assert_eq!(report["killedAtRound"], KILL_AT);

    // One MCP session from the first request to the last, on every instance.
    let session = report["sessionBefore"].as_str().expect("a session id");
    assert_eq!(report["sessionAfter"].as_str(), Some(session), "{report:#}");

    // Every round listed the tools and made both calls.
    let rounds = report["rounds"].as_array().expect("rounds");
    assert_eq!(rounds.len(), ROUNDS);
    for round in rounds {
        assert!(round.get("error").is_none(), "{round:#}");
        assert!(round["tools"].as_u64().is_some_and(|n| n > 0), "{round:#}");
        for call in round["calls"].as_array().expect("calls") {
            assert_eq!(call["ok"], true, "{round:#}");
        }
        let whoami = &round["calls"][1]["text"];
        assert!(
            whoami
                .as_str()
                .is_some_and(|w| w.contains("ada@example.com")),
            "{round:#}"
        );
    }
    // The forced refresh went through the balancer too, and every call after it worked.
    assert!(
        report["refreshes"].as_u64().is_some_and(|n| n >= 1),
        "{report:#}"
    );
    assert_eq!(report["refreshTokenRotated"], true, "{report:#}");
    for call in report["after"].as_array().expect("after") {
        assert_eq!(call["ok"], true, "{report:#}");
    }

    // Which instance served each request through the balancer, in order (OAuth requests too).
    let steps = Steps::of(&report, "requests");
    let requests = steps.all();
    let at_kill = report["requestsAtKill"]
        .as_u64()
        .expect("requests at the kill") as usize;
    let served = |range: &[String]| -> Vec<String> {
        range
            .iter()
            .filter_map(|r| r.rsplit_once(" @").map(|(_, s)| s.to_owned()))
            .collect()
    };
    // While all three were up: round robin, each request on the next instance.
    let before = served(&requests[..at_kill]);
    assert!(before.len() > 2 * KILL_AT, "{requests:#?}");
    let rotating = before
        .windows(2)
        .filter(|pair| {
            let next = |s: &str| match s {
                "s0" => "s1",
                "s1" => "s2",
                _ => "s0",
            };
            pair[1] == next(&pair[0])
        })
        .count();
    // Requests are logged as they are answered, so the concurrent SSE stream's GET may land out
    // of order: all but a few follow the rotation, and each instance serves its third.
    assert!(
        rotating * 10 >= (before.len() - 1) * 9,
        "not round robin: {before:?}"
    );
    for instance in ["s0", "s1", "s2"] {
        let share = before.iter().filter(|s| *s == instance).count();
        assert!(
            share * 4 >= before.len(),
            "{instance} served {share}: {before:?}"
        );
    }
    // After the kill (once the health check noticed): the other two share every request, and
    // every request got its answer.
    let after = &requests[at_kill..];
    let after_served = served(after);
    let tail = &after_served[after_served.len().saturating_sub(30)..];
    assert!(
        tail.iter().all(|s| s != "s2"),
        "the killed instance served: {after:#?}"
    );
    assert!(
        tail.iter().any(|s| s == "s0") && tail.iter().any(|s| s == "s1"),
        "{after:#?}"
    );
    for line in requests.iter().filter(|r| r.contains(" /mcp ")) {
        let status = line.split(' ').nth(2).unwrap_or_default();
        assert!(
            ["200", "202", "401"].contains(&status),
            "{line}: {requests:#?}"
        );
    }
}
