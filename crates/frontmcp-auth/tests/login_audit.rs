//! Every log line of password sign-ins (a wrong password, a right one, a locked account) and of
//! an authenticator that is down, captured at `trace`: each failure is an `auth.login.failure`
//! audit event with its reason, and the password appears in no line.

mod common;

use common::local::{Local, definition};
use frontmcp_auth::logging::JsonLines;
use frontmcp_auth_config::DEFAULT_REDACT;
use serde_json::{Value, json};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

const PASSWORD: &str = "a-password-that-must-never-be-logged";

#[tokio::test]
async fn login_failures_are_audited_with_their_reason_and_never_the_password() {
    let captured = common::Captured::default();
    let redact: Vec<String> = DEFAULT_REDACT.iter().map(|s| (*s).to_owned()).collect();
    let layer = JsonLines::new(&redact, captured.clone())
        .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("the only subscriber of this test binary");

    let (server, _) = Local::start_with_users(
        json!({"login": {"authenticator": "password", "max_failures": 2}}),
        &[("ada@example.com", PASSWORD)],
    )
    .await;
    let client_id = server.public_client().await;
    for (password, status) in [
        ("wrong-guess", 400),
        (PASSWORD, 302),
        ("wrong-again", 400),
        (PASSWORD, 429),
    ] {
        let reply = server
            .attempt(&client_id, "ada@example.com", password)
            .await;
        assert_eq!(reply.status, status, "{password}: {}", reply.text);
    }

    let down = Local::start_definition(
        &definition(json!({})).authenticator(common::local::Down),
        &[],
    )
    .await;
    let client = down.public_client().await;
    let page = down.authorize(&client, &[]).await;
    assert_eq!(down.sign_in(&page, "ada", PASSWORD).await.status, 503);

    let text = captured.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let failures: Vec<&str> = lines
        .iter()
        .filter(|l| l["event"] == "auth.login.failure")
        .filter_map(|l| l["detail"].as_str())
        .collect();
    assert_eq!(
        failures,
        [
            "invalid credentials",
            "invalid credentials",
            "too many failed sign-ins",
            "authenticator unavailable"
        ],
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "auth.login.success" && l["user"] == "ada@example.com"),
        "{text}"
    );
    for secret in [PASSWORD, "wrong-guess", "wrong-again"] {
        assert!(!text.contains(secret), "`{secret}` was logged:\n{text}");
    }
}
