//! RFC 7592 client management and `dcr.client_ttl`: a registered client reads, replaces and
//! deletes its registration with its registration access token (never with another's); a
//! deleted or expired client's grants end; registration keeps working under
//! `max_dynamic_clients` because expired clients stop counting. Real HTTP on loopback; time is
//! the server's manual clock.

mod common;

use std::sync::Arc;

use common::local::{Local, REDIRECT, START, VERIFIER, definition};
use frontmcp_auth::Clock;
use frontmcp_auth::store::{ClientStore, MemoryStore};
use serde_json::{Value, json};

/// A registration: the response and the HTTP status.
async fn register(local: &Local, metadata: Value) -> Value {
    let reply = local.register(metadata).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()
}

/// `method` on the management URI with `token`: status and body (JSON or null).
async fn manage(
    local: &Local,
    method: reqwest::Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let mut request = local
        .http
        .request(method, uri)
        .header("authorization", format!("Bearer {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.expect("request");
    let status = reply.status().as_u16();
    let challenge = reply
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let text = reply.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        challenge,
    )
}

fn text(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"))
        .to_owned()
}

#[tokio::test]
async fn rfc_7592_read_update_and_delete_with_the_right_and_the_wrong_registration_token() {
    let local = Local::start(json!({})).await;
    let mine = register(
        &local,
        json!({"redirect_uris": [REDIRECT], "client_name": "Mine", "token_endpoint_auth_method": "none"}),
    )
    .await;
    let other = register(
        &local,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    let (id, token, uri) = (
        text(&mine, "client_id"),
        text(&mine, "registration_access_token"),
        text(&mine, "registration_client_uri"),
    );
    assert_eq!(uri, local.url(&format!("/oauth/register/{id}")));
    let others_token = text(&other, "registration_access_token");

    // Read.
    let (status, read, _) = manage(&local, reqwest::Method::GET, &uri, &token, None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["client_id"], id.as_str());
    assert_eq!(read["client_name"], "Mine");
    assert_eq!(read["redirect_uris"], json!([REDIRECT]));
    assert_eq!(read["registration_client_uri"], uri.as_str());

    // The wrong token, none, another client's token, an unknown client: the same 401.
    let unknown = local.url("/oauth/register/mcp_unknown");
    for (what, target, bearer) in [
        (
            "another client's token",
            uri.as_str(),
            others_token.as_str(),
        ),
        ("a made-up token", uri.as_str(), "not-the-token"),
        ("an unknown client", unknown.as_str(), token.as_str()),
    ] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let body = (method == reqwest::Method::PUT).then(
                || json!({"client_id": id, "redirect_uris": ["http://127.0.0.1:9/evil"], "token_endpoint_auth_method": "none"}),
            );
            let (status, error, challenge) =
                manage(&local, method.clone(), target, bearer, body).await;
            assert_eq!(status, 401, "{what}, {method}: {error}");
            assert_eq!(error["error"], "invalid_token", "{what}, {method}");
            assert_eq!(challenge.as_deref(), Some("Bearer"), "{what}, {method}");
        }
    }
    let bare = local.http.get(&uri).send().await.expect("get");
    assert_eq!(bare.status(), 401, "no token at all");

    // Update: the body must name the client; the method cannot change.
    let (status, error, _) = manage(
        &local,
        reqwest::Method::PUT,
        &uri,
        &token,
        Some(json!({"client_id": "mcp_someone_else", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})),
    )
    .await;
    assert_eq!((status, &error["error"]), (400, &json!("invalid_request")));
    let (status, error, _) = manage(
        &local,
        reqwest::Method::PUT,
        &uri,
        &token,
        Some(json!({"client_id": id, "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"})),
    )
    .await;
    assert_eq!(
        (status, &error["error"]),
        (400, &json!("invalid_client_metadata"))
    );
    let moved = "http://127.0.0.1:8888/done";
    let (status, updated, _) = manage(
        &local,
        reqwest::Method::PUT,
        &uri,
        &token,
        Some(json!({"client_id": id, "redirect_uris": [moved], "client_name": "Renamed", "token_endpoint_auth_method": "none"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["client_name"], "Renamed");
    assert_eq!(updated["redirect_uris"], json!([moved]));
    let page = local.authorize(&id, &[]).await;
    assert_eq!(page.status, 400, "the old redirect URI is gone");
    let page = local.authorize(&id, &[("redirect_uri", moved)]).await;
    assert_eq!(page.status, 200, "{}", page.text);

    // Delete: the client's grants end with it, access and refresh alike.
    let page = local.authorize(&id, &[("redirect_uri", moved)]).await;
    let done = local.login(&page, "ada@example.com").await;
    let code = done.location_param("code").expect("code");
    let body = common::local::form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", moved),
        ("code_verifier", VERIFIER),
        ("client_id", &id),
    ]);
    let tokens = local.post_form("/oauth/token", body, &[]).await.json();
    let access = text(&tokens, "access_token");
    let refresh = text(&tokens, "refresh_token");
    assert_eq!(local.mcp_status(&access).await, 200);
    let (status, _, _) = manage(&local, reqwest::Method::DELETE, &uri, &token, None).await;
    assert_eq!(status, 204);
    let refused = local.refresh(&id, &refresh).await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    assert_eq!(refused.json()["error"], "invalid_client");
    assert_eq!(
        local.mcp_status(&access).await,
        401,
        "the deleted client's session ends"
    );
    let (status, _, _) = manage(&local, reqwest::Method::GET, &uri, &token, None).await;
    assert_eq!(status, 401, "gone");
    let page = local.authorize(&id, &[("redirect_uri", moved)]).await;
    assert_ne!(page.status, 200, "a deleted client cannot start a login");
    // The other client is untouched.
    let other_uri = text(&other, "registration_client_uri");
    let (status, _, _) = manage(
        &local,
        reqwest::Method::GET,
        &other_uri,
        &others_token,
        None,
    )
    .await;
    assert_eq!(status, 200);
}

/// Issue 19: with `client_ttl`, 5 000 registrations over time leave at most the live clients
/// stored, and registration keeps working under `max_dynamic_clients`.
#[tokio::test]
async fn five_thousand_registrations_with_client_ttl_leave_only_the_live_ones() {
    const TTL: u64 = 1_000;
    const STEP: u64 = 2;
    let clock = Clock::manual(START);
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let local = Local::start_with_store(
        &definition(json!({"dcr": {"client_ttl": TTL, "max_dynamic_clients": 600}})),
        &[],
        clock,
        store.clone(),
    )
    .await;
    let mut last = String::new();
    for _ in 0..5_000 {
        local.clock.advance(STEP);
        let reply = local
            .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
            .await;
        assert_eq!(
            reply.status, 201,
            "registration keeps working: {}",
            reply.text
        );
        last = text(&reply.json(), "client_id");
    }
    // The memory store sweeps once a minute: at most a minute of expired clients waits.
    let live = (TTL / STEP) as usize;
    let sweep_slack = (60 / STEP) as usize;
    let stored = store.client_count();
    assert!(
        stored <= live + sweep_slack,
        "{stored} clients stored; {live} are live"
    );
    assert!(store.client(&last).await.expect("read").is_some());

    // A client used within its TTL stays; one left unused expires and its refresh ends.
    let (client_id, tokens) = local.tokens().await;
    let refresh = text(&tokens, "refresh_token");
    local.clock.advance(TTL - 10);
    let rotated = local.refresh(&client_id, &refresh).await;
    assert_eq!(rotated.status, 200, "used in time: {}", rotated.text);
    let refresh = text(&rotated.json(), "refresh_token");
    local.clock.advance(TTL - 10);
    let rotated = local.refresh(&client_id, &refresh).await;
    assert_eq!(rotated.status, 200, "the refresh counted as a use");
    let refresh = text(&rotated.json(), "refresh_token");
    local.clock.advance(TTL + 1);
    let expired = local.refresh(&client_id, &refresh).await;
    assert_eq!(expired.status, 401, "{}", expired.text);
    assert_eq!(expired.json()["error"], "invalid_client");
}
