//! The passkey endpoint answers hostile or out-of-order submissions with 4xx pages, never a
//! 500: no pending authorization, a forged CSRF token, an action that does not fit the step,
//! a credential that is not one, an oversized one. (The real ceremony is driven by Chromium in
//! `examples/local/tests/browser_login.rs`.)

mod common;

use common::local::{Local, add_users, definition_with, form};
use frontmcp_auth::Clock;
use frontmcp_auth::store::{MemoryStore, Store};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn hostile_passkey_submissions_get_4xx_pages() {
    let clock = Clock::manual(common::local::START);
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(MemoryStore::new(clock.clone()));
    add_users(&store, &[("ada@example.com", PASSWORD)]).await;
    let definition = definition_with(
        json!({"login": {"authenticator": "password", "passkeys": true}}),
        json!({"http": {"public_url": "http://localhost", "allowed_hosts": ["localhost", "127.0.0.1"]}}),
    );
    let server = Local::start_with_store(&definition, &[], clock, store).await;
    let client_id = server.public_client().await;

    // The password sign-in offers a passkey: the offer page runs the script, nothing else does.
    let page = server.authorize(&client_id, &[]).await;
    assert!(
        page.text.contains("Sign in with a passkey"),
        "{}",
        page.text
    );
    let offer = server.sign_in(&page, "ada@example.com", PASSWORD).await;
    assert_eq!(offer.status, 200, "{}", offer.text);
    assert!(offer.text.contains("Add a passkey"));
    let csp = offer.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !page
            .header("content-security-policy")
            .unwrap_or_default()
            .contains("script-src")
    );
    let pending = offer.field("pending_auth_id");
    let csrf = offer.field("csrf_token");
    let cookie = offer.cookies();

    let post = |fields: Vec<(&str, String)>, cookie: String| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = form(&pairs);
        let server = &server;
        async move {
            server
                .post_form("/oauth/passkey", body, &[("cookie", &cookie)])
                .await
        }
    };
    let cases = [
        (
            "no pending authorization",
            vec![("action", "skip".to_owned())],
            cookie.clone(),
            400,
        ),
        (
            "unknown pending authorization",
            vec![
                ("pending_auth_id", "unknown123".to_owned()),
                ("csrf_token", csrf.clone()),
                ("action", "skip".to_owned()),
            ],
            cookie.clone(),
            400,
        ),
        (
            "forged CSRF token",
            vec![
                ("pending_auth_id", pending.clone()),
                ("csrf_token", "forged".to_owned()),
                ("action", "skip".to_owned()),
            ],
            cookie.clone(),
            403,
        ),
        (
            "no CSRF cookie",
            vec![
                ("pending_auth_id", pending.clone()),
                ("csrf_token", csrf.clone()),
                ("action", "skip".to_owned()),
            ],
            String::new(),
            403,
        ),
        (
            "an unknown action",
            vec![
                ("pending_auth_id", pending.clone()),
                ("csrf_token", csrf.clone()),
                ("action", "steal".to_owned()),
            ],
            cookie.clone(),
            400,
        ),
        (
            "a sign-in assertion during registration",
            vec![
                ("pending_auth_id", pending.clone()),
                ("csrf_token", csrf.clone()),
                ("action", "authenticate".to_owned()),
                ("credential", "{}".to_owned()),
            ],
            cookie.clone(),
            400,
        ),
        (
            "an oversized credential",
            vec![
                ("pending_auth_id", pending.clone()),
                ("csrf_token", csrf.clone()),
                ("action", "register".to_owned()),
                ("credential", "x".repeat(20_000)),
            ],
            cookie.clone(),
            400,
        ),
    ];
    for (what, fields, cookie, status) in cases {
        let reply = post(fields, cookie).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text);
    }
    // A credential that is not one: the offer again with the reason, still skippable.
    let garbage = post(
        vec![
            ("pending_auth_id", pending.clone()),
            ("csrf_token", csrf.clone()),
            ("action", "register".to_owned()),
            ("credential", "{\"id\":\"x\"}".to_owned()),
        ],
        cookie.clone(),
    )
    .await;
    assert_eq!(garbage.status, 400, "{}", garbage.text);
    assert!(
        garbage.text.contains("could not be verified"),
        "{}",
        garbage.text
    );
    let csrf = garbage.field("csrf_token");
    let cookie = garbage.cookies();
    let skipped = post(
        vec![
            ("pending_auth_id", pending.clone()),
            ("csrf_token", csrf),
            ("action", "skip".to_owned()),
        ],
        cookie,
    )
    .await;
    assert_eq!(skipped.status, 302, "Not now continues: {}", skipped.text);
    assert!(skipped.location_param("code").is_some());

    // Passkey sign-in for a user without one goes back to the form, saying so.
    let page = server.authorize(&client_id, &[]).await;
    let body = form(&[
        ("pending_auth_id", &page.field("pending_auth_id")),
        ("csrf_token", &page.field("csrf_token")),
        ("passkey", "start"),
        ("username", "ada@example.com"),
    ]);
    let none = server
        .post_form("/oauth/callback", body, &[("cookie", &page.cookies())])
        .await;
    assert_eq!(none.status, 400, "{}", none.text);
    assert!(
        none.text.contains("no passkey is registered"),
        "{}",
        none.text
    );
}
