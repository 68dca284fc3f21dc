//! The authorization server's security rules, one named test each, over real HTTP on loopback
//! with an injected clock.

#[path = "../common/mod.rs"]
mod common;
mod keys;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::local::{
    CHALLENGE, CONFIGURED, Local, REDIRECT, SECRET, START, VERIFIER, challenge_of, form,
};
use frontmcp_auth::rules::Rule;
use serde_json::json;

fn error_of(reply: &common::local::Reply) -> String {
    reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn pkce_plain_or_missing_is_rejected() {
    let server = Local::start(json!({})).await;
    let client_id = CONFIGURED;
    for extra in [
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
        vec![("code_challenge", "")],
    ] {
        let reply = server.authorize(client_id, &extra).await;
        assert_eq!(reply.status, 302, "{extra:?}: {}", reply.text);
        assert_eq!(
            reply.location_param("error").as_deref(),
            Some("invalid_request"),
            "{extra:?}"
        );
        assert_eq!(reply.location_param("state").as_deref(), Some("state-123"));
        assert_eq!(reply.location_param("iss"), Some(server.base()));
    }
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_rejected() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let wrong = "x".repeat(43);
    let reply = server.exchange(&client_id, &code, &wrong).await;
    assert_eq!(reply.status, 400);
    assert_eq!(error_of(&reply), "invalid_grant");
    assert!(reply.text.contains("PKCE"), "{}", reply.text);
    let again = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(
        error_of(&again),
        "invalid_grant",
        "a code is burnt by a failed attempt"
    );
}

#[tokio::test]
async fn code_reuse_is_rejected_and_its_tokens_revoked() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let first = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let tokens = first.json();
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    assert_eq!(server.mcp_status(access).await, 200);

    let second = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(second.status, 400);
    assert_eq!(error_of(&second), "invalid_grant");
    assert!(second.text.contains("already used"), "{}", second.text);

    assert_eq!(
        server.mcp_status(access).await,
        401,
        "the access token is revoked"
    );
    assert_eq!(
        error_of(&server.refresh(&client_id, refresh).await),
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_code_expires_after_sixty_seconds() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    server.clock.advance(61);
    let reply = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(error_of(&reply), "invalid_grant");
    assert!(reply.text.contains("expired"), "{}", reply.text);
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let other = server.public_client().await;
    let reply = server.exchange(&other, &code, VERIFIER).await;
    assert_eq!(error_of(&reply), "invalid_grant");

    let (client_id2, code2) = server.code().await;
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code2),
        ("redirect_uri", "http://127.0.0.1:7777/other"),
        ("code_verifier", VERIFIER),
        ("client_id", &client_id2),
    ]);
    let reply = server.post_form("/oauth/token", body, &[]).await;
    assert_eq!(error_of(&reply), "invalid_grant");
    assert!(!client_id.is_empty());
}

#[tokio::test]
async fn a_redirect_uri_mismatch_gets_a_400_page_not_a_redirect() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    for redirect in [
        "https://evil.example/callback",
        "http://127.0.0.1:7777/callback/extra",
        "http://127.0.0.1:7777/callback?x=1",
    ] {
        let reply = server
            .authorize(&client_id, &[("redirect_uri", redirect)])
            .await;
        assert_eq!(reply.status, 400, "{redirect}");
        assert!(reply.header("location").is_none());
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        );
        assert!(
            reply.text.contains("redirect_uri is not registered"),
            "{}",
            reply.text
        );
    }
    let loopback_other_port = server
        .authorize(
            &client_id,
            &[("redirect_uri", "http://127.0.0.1:9191/callback")],
        )
        .await;
    assert_eq!(
        loopback_other_port.status, 200,
        "loopback redirect URIs match on any port"
    );
}

#[tokio::test]
async fn an_unknown_client_gets_a_400_page_not_a_redirect() {
    let server = Local::start(json!({})).await;
    let reply = server.authorize("mcp_nobody", &[]).await;
    assert_eq!(reply.status, 400);
    assert!(reply.header("location").is_none());
    assert!(reply.text.contains("unknown client"), "{}", reply.text);
}

#[tokio::test]
async fn refresh_reuse_outside_the_grace_window_revokes_the_family() {
    let server = Local::start(json!({"refresh": {"reuse_grace_seconds": 5}})).await;
    let (client_id, tokens) = server.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = server.refresh(&client_id, &first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let second = rotated.json()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    let access = rotated.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_ne!(first, second);

    server.clock.advance(6);
    let reuse = server.refresh(&client_id, &first).await;
    assert_eq!(error_of(&reuse), "invalid_grant");
    assert!(reuse.text.contains("reuse detected"), "{}", reuse.text);
    assert_eq!(
        error_of(&server.refresh(&client_id, &second).await),
        "invalid_grant",
        "the whole family is revoked"
    );
    assert_eq!(server.mcp_status(&access).await, 401);
}

#[tokio::test]
async fn a_retry_within_the_grace_window_gets_the_same_pair() {
    let server = Local::start(json!({"refresh": {"reuse_grace_seconds": 5}})).await;
    let (client_id, tokens) = server.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = server.refresh(&client_id, &first).await.json();
    server.clock.advance(3);
    let retried = server.refresh(&client_id, &first).await;
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(retried.json(), rotated, "the same new pair comes back");
    let next = rotated["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        server.refresh(&client_id, next).await.status,
        200,
        "the family is intact"
    );
}

#[tokio::test]
async fn a_replay_within_the_grace_window_is_allowed_a_bounded_number_of_times() {
    let server = Local::start(json!({"refresh": {"reuse_grace_seconds": 5}})).await;
    let (client_id, tokens) = server.tokens().await;
    let first = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = server.refresh(&client_id, &first).await.json();
    for _ in 0..20 {
        let retried = server.refresh(&client_id, &first).await;
        assert_eq!(retried.status, 200, "{}", retried.text);
    }
    let one_more = server.refresh(&client_id, &first).await;
    assert_eq!(error_of(&one_more), "invalid_grant");
    assert!(
        one_more.text.contains("retried too many times"),
        "{}",
        one_more.text
    );
    let next = rotated["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        server.refresh(&client_id, next).await.status,
        200,
        "past the bound no more copies, and the family stays"
    );
}

#[tokio::test]
async fn concurrent_refreshes_rotate_exactly_once() {
    let server = Local::start(json!({})).await;
    let (client_id, tokens) = server.tokens().await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let replies =
        futures::future::join_all((0..20).map(|_| server.refresh(&client_id, &refresh))).await;
    let new_tokens: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.json()["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        new_tokens.len(),
        1,
        "one rotation; every retry saw the same pair"
    );
}

#[tokio::test]
async fn an_expired_pending_authorization_gives_the_request_expired_page() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    server.clock.advance(601);
    let reply = server.login(&page, "ada@example.com").await;
    assert_eq!(reply.status, 400);
    assert!(reply.text.contains("request expired"), "{}", reply.text);
    assert!(reply.header("location").is_none());
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_cookie_and_token() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    let cookie = page.cookies();
    assert!(cookie.starts_with("fmcp_csrf_"), "{cookie}");
    let set_cookie = page.header("set-cookie").unwrap_or_default();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let pending = page.field("pending_auth_id");
    let token = page.field("csrf_token");
    for (body_token, cookie_header) in [
        (token.as_str(), ""),
        ("forged", cookie.as_str()),
        ("", cookie.as_str()),
    ] {
        let body = form(&[
            ("pending_auth_id", &pending),
            ("csrf_token", body_token),
            ("email", "ada@example.com"),
        ]);
        let reply = server
            .post_form("/oauth/callback", body, &[("cookie", cookie_header)])
            .await;
        assert_eq!(reply.status, 403, "{body_token:?} / {cookie_header:?}");
        assert!(reply.header("location").is_none());
    }
    assert_eq!(
        server.login(&page, "ada@example.com").await.status,
        302,
        "the real form still works"
    );
}

#[tokio::test]
async fn the_login_page_cannot_be_framed_and_escapes_client_names() {
    let server = Local::start(json!({})).await;
    let reply = server
        .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "<script>alert(1)</script>"}))
        .await;
    let client_id = reply.json()["client_id"].as_str().expect("id").to_owned();
    let page = server.authorize(&client_id, &[]).await;
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(
        page.text
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
    );
}

#[tokio::test]
async fn state_is_echoed_byte_for_byte_with_the_issuer() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let state = "a b+c/d?e=f&g=%20h~é";
    let page = server.authorize(&client_id, &[("state", state)]).await;
    let done = server.login(&page, "ada@example.com").await;
    assert_eq!(done.status, 302);
    assert_eq!(done.location_param("state").as_deref(), Some(state));
    assert_eq!(done.location_param("iss"), Some(server.base()));
    assert!(
        done.header("location")
            .unwrap_or_default()
            .starts_with(REDIRECT)
    );
}

#[tokio::test]
async fn errors_before_login_redirect_only_to_configured_clients() {
    let server = Local::start(json!({})).await;
    let dynamic = server.public_client().await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (
            &[("resource", "https://elsewhere.example/mcp")],
            "invalid_target",
        ),
        (&[("scope", "bad\"scope")], "invalid_scope"),
        (&[("code_challenge", "too-short")], "invalid_request"),
    ];
    for (extra, code) in cases {
        // A client of the configuration: the error goes back to its redirect URI.
        let reply = server.authorize(CONFIGURED, extra).await;
        assert_eq!(reply.status, 302, "{extra:?}");
        assert_eq!(
            reply.location_param("error").as_deref(),
            Some(code),
            "{extra:?}"
        );
        assert!(reply.location_param("error_description").is_some());
        // A client registered dynamically: a page, and the browser goes nowhere.
        let page = server.authorize(&dynamic, extra).await;
        assert_eq!(page.status, 400, "{extra:?}: {}", page.text);
        assert!(page.header("location").is_none());
        assert!(page.text.contains(code), "{}", page.text);
    }
    let client_id = dynamic;
    let own = server
        .authorize(&client_id, &[("resource", &server.url("/mcp"))])
        .await;
    assert_eq!(own.status, 200, "the server's own resource is accepted");
    assert_eq!(CHALLENGE, challenge_of(VERIFIER));
    assert_eq!(START, 1_800_000_000);
}
