//! Revocation, stateless tokens, introspection and userinfo.

use super::*;

#[tokio::test]
async fn revocation_ends_the_authorization_in_stateful_mode() {
    let server = Local::start(json!({})).await;
    let (client_id, tokens) = server.tokens().await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    // Calls before the revocation leave the token and its session in the guard's caches.
    assert_eq!(server.mcp_status(access).await, 200);
    assert_eq!(server.mcp_status(access).await, 200);
    let reply = server
        .post_form(
            "/oauth/revoke",
            form(&[("token", refresh), ("client_id", &client_id)]),
            &[],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(server.mcp_status(access).await, 401);
    assert_eq!(
        server.refresh(&client_id, refresh).await.json()["error"],
        "invalid_grant"
    );
    let unknown = server
        .post_form(
            "/oauth/revoke",
            form(&[("token", "whatever"), ("client_id", &client_id)]),
            &[],
        )
        .await;
    assert_eq!(
        unknown.status, 200,
        "unknown tokens are not an error (RFC 7009)"
    );
}

#[tokio::test]
async fn stateless_access_tokens_outlive_revocation_until_they_expire() {
    let server =
        Local::start(json!({"session_mode": "stateless", "refresh": {"access_token_ttl": 600}}))
            .await;
    let (client_id, tokens) = server.tokens().await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    server
        .post_form(
            "/oauth/revoke",
            form(&[("token", access), ("client_id", &client_id)]),
            &[],
        )
        .await;
    assert_eq!(
        server.mcp_status(access).await,
        200,
        "no storage lookup in stateless mode"
    );
    assert_eq!(
        server.refresh(&client_id, refresh).await.json()["error"],
        "invalid_grant"
    );
    server.clock.advance(600 + 6);
    assert_eq!(server.mcp_status(access).await, 401, "expired");
}

#[tokio::test]
async fn introspection_is_for_confidential_clients_and_userinfo_for_bearers() {
    let server = Local::start(json!({})).await;
    let registered = server
        .register(json!({"redirect_uris": [REDIRECT]}))
        .await
        .json();
    let id = registered["client_id"].as_str().expect("id").to_owned();
    let secret = registered["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let page = server.authorize(&id, &[]).await;
    let code = server
        .login(&page, "grace@example.com")
        .await
        .location_param("code")
        .expect("code");
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]);
    let tokens = server
        .post_form(
            "/oauth/token",
            body,
            &[("authorization", &basic(&id, &secret))],
        )
        .await
        .json();
    let access = tokens["access_token"].as_str().expect("access");

    let active = server
        .post_form(
            "/oauth/introspect",
            form(&[("token", access)]),
            &[("authorization", &basic(&id, &secret))],
        )
        .await
        .json();
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], "grace@example.com");
    assert_eq!(active["client_id"], id);
    let refresh = server
        .post_form(
            "/oauth/introspect",
            form(&[(
                "token",
                tokens["refresh_token"].as_str().unwrap_or_default(),
            )]),
            &[("authorization", &basic(&id, &secret))],
        )
        .await
        .json();
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");
    let garbage = server
        .post_form(
            "/oauth/introspect",
            form(&[("token", "garbage")]),
            &[("authorization", &basic(&id, &secret))],
        )
        .await
        .json();
    assert_eq!(garbage, json!({"active": false}));

    let (public_id, public_tokens) = server.tokens().await;
    let refused = server
        .post_form(
            "/oauth/introspect",
            form(&[("token", access), ("client_id", &public_id)]),
            &[],
        )
        .await;
    assert_eq!(refused.status, 401);
    let other = server
        .post_form(
            "/oauth/introspect",
            form(&[(
                "token",
                public_tokens["access_token"].as_str().unwrap_or_default(),
            )]),
            &[("authorization", &basic(&id, &secret))],
        )
        .await
        .json();
    assert_eq!(
        other,
        json!({"active": false}),
        "another client's token is not disclosed"
    );

    let mut request = server.http.get(server.url("/oauth/userinfo"));
    request = request.bearer_auth(access);
    let info: Value = request
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!(
        info,
        json!({"sub": "grace@example.com", "email": "grace@example.com", "name": "Ada"})
    );
    let anonymous = server.get("/oauth/userinfo").await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").is_some());
}
