//! Every log line of a full run (registration, login, code exchange, refresh, refresh-token
//! reuse, a failed login, revocation, admin revocation) captured at `trace`: each audit event
//! appears with user, client, IP and user agent, and no token, code, secret or verifier
//! appears anywhere.

mod common;

use common::apps::MathApp;
use common::local::{Local, REDIRECT, SECRET, VERIFIER, form};
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::logging::JsonLines;
use frontmcp_auth_config::DEFAULT_REDACT;
use serde_json::{Value, json};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

const ADMIN: &str = "admin-credential-0123456789abcdef-xyz";
const AGENT: &str = "audit-test-agent/1.0";

fn lines(captured: &common::Captured) -> Vec<Value> {
    let text = captured.text();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

#[tokio::test]
async fn a_full_run_logs_every_audit_event_and_never_a_credential() {
    let captured = common::Captured::default();
    let redact: Vec<String> = DEFAULT_REDACT.iter().map(|s| (*s).to_owned()).collect();
    let layer = JsonLines::new(&redact, captured.clone())
        .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("the only subscriber of this test binary");

    let definition = ServerDefinition::new("AuditTest")
        .with_base(json!({
            "auth": {"mode": "local", "local": {"jwt_secret": SECRET}},
            "security": {"admin_token": ADMIN},
        }))
        .app::<MathApp>("math");
    let mut server = Local::start_definition(&definition, &[]).await;
    server.http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(AGENT)
        .build()
        .expect("client");

    // A confidential client, so that a client secret exists to leak.
    let registered = server
        .register(json!({"redirect_uris": [REDIRECT], "client_name": "Audit client", "token_endpoint_auth_method": "client_secret_post"}))
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let client_id = registered.json()["client_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let client_secret = registered.json()["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();

    let page = server.authorize(&client_id, &[]).await;
    let refused = server.login(&page, "not-an-email").await;
    assert_eq!(refused.status, 400, "the form is shown again");
    let page = server.authorize(&client_id, &[]).await;
    let done = server.login(&page, "ada@example.com").await;
    let code = done.location_param("code").expect("code");
    let exchange = |code: &str| {
        form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
        ])
    };
    let tokens = server.post_form("/oauth/token", exchange(&code), &[]).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let access = tokens.json()["access_token"]
        .as_str()
        .expect("at")
        .to_owned();
    let first_refresh = tokens.json()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    assert_eq!(server.mcp_status(&access).await, 200);

    let refresh = |token: &str| {
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
        ])
    };
    let rotated = server
        .post_form("/oauth/token", refresh(&first_refresh), &[])
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let second_refresh = rotated.json()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    let second_access = rotated.json()["access_token"]
        .as_str()
        .expect("at")
        .to_owned();
    // A retry within the grace window gets the same pair, audited as a replay.
    let retried = server
        .post_form("/oauth/token", refresh(&first_refresh), &[])
        .await;
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(retried.json()["refresh_token"], second_refresh.as_str());
    server.clock.advance(120);
    let reused = server
        .post_form("/oauth/token", refresh(&first_refresh), &[])
        .await;
    assert_eq!(reused.status, 400, "reuse detected");

    // A second authorization, revoked by the client, then an admin revocation.
    let page = server.authorize(&client_id, &[]).await;
    let code_two = server
        .login(&page, "ada@example.com")
        .await
        .location_param("code")
        .expect("code");
    let tokens_two = server
        .post_form("/oauth/token", exchange(&code_two), &[])
        .await;
    let third_refresh = tokens_two.json()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    let revoke = form(&[
        ("token", &third_refresh),
        ("client_id", &client_id),
        ("client_secret", &client_secret),
    ]);
    assert_eq!(
        server.post_form("/oauth/revoke", revoke, &[]).await.status,
        200
    );
    let page = server.authorize(&client_id, &[]).await;
    let code_three = server
        .login(&page, "ada@example.com")
        .await
        .location_param("code")
        .expect("code");
    let tokens_three = server
        .post_form("/oauth/token", exchange(&code_three), &[])
        .await;
    let admin = server
        .post_json(
            "/admin/sessions/revoke",
            json!({"user_email": "ada@example.com", "reason": "Account compromise", "revoke_all": true}),
            &[("authorization", &format!("Bearer {ADMIN}"))],
        )
        .await;
    assert_eq!(admin.status, 200, "{}", admin.text);

    // The client replaces its registration, then deletes it (RFC 7592).
    let registration_token = registered.json()["registration_access_token"]
        .as_str()
        .expect("registration token")
        .to_owned();
    let manage = registered.json()["registration_client_uri"]
        .as_str()
        .expect("management URI")
        .to_owned();
    let bearer = format!("Bearer {registration_token}");
    let updated = server
        .http
        .put(&manage)
        .header("authorization", &bearer)
        .json(&json!({"client_id": client_id, "redirect_uris": [REDIRECT], "client_name": "Renamed", "token_endpoint_auth_method": "client_secret_post"}))
        .send()
        .await
        .expect("put");
    assert_eq!(updated.status(), 200);
    let deleted = server
        .http
        .delete(&manage)
        .header("authorization", &bearer)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);

    let lines = lines(&captured);
    let events: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "frontmcp_auth::audit")
        .collect();
    for name in [
        "client.register",
        "client.update",
        "client.delete",
        "auth.login.failure",
        "auth.login.success",
        "token.create",
        "session.create",
        "token.refresh",
        "token.refresh.replay",
        "token.reuse_detected",
        "token.revoke",
        "auth.logout",
        "session.expire",
        "admin.action",
    ] {
        let event = events
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("no {name} event in {events:#?}"));
        assert_eq!(event["ip"], "127.0.0.1", "{name}");
        assert_eq!(event["user_agent"], AGENT, "{name}");
        assert_eq!(event["level"], "INFO", "{name}");
        if !["client.register", "auth.login.failure", "admin.action"].contains(&name) {
            assert_eq!(event["client_id"], client_id.as_str(), "{name}");
        }
    }
    let success = events
        .iter()
        .find(|e| e["event"] == "auth.login.success")
        .expect("login");
    assert_eq!(success["user"], "ada@example.com");

    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let secrets = [
        ("authorization code", code.as_str()),
        ("second code", code_two.as_str()),
        ("third code", code_three.as_str()),
        ("access token", access.as_str()),
        ("rotated access token", second_access.as_str()),
        ("refresh token", first_refresh.as_str()),
        ("rotated refresh token", second_refresh.as_str()),
        ("revoked refresh token", third_refresh.as_str()),
        ("client secret", client_secret.as_str()),
        ("PKCE verifier", VERIFIER),
        ("JWT secret", SECRET),
        ("admin credential", ADMIN),
        ("registration access token", registration_token.as_str()),
    ];
    let last_access = tokens_three.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (what, secret) in secrets
        .iter()
        .chain([("last access token", last_access.as_str())].iter())
    {
        assert!(!secret.is_empty(), "{what}");
        assert!(
            !text.contains(secret),
            "the {what} appears in the logs:\n{text}"
        );
    }
    assert!(lines.len() > 20, "the run logged {} lines", lines.len());
}
