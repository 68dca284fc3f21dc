//! Identity rules, session limits, the admin endpoint and the metrics credential.

use super::*;

#[tokio::test]
async fn a_login_from_another_email_domain_is_refused_with_a_page_saying_so() {
    let server = start(json!({"allowed_email_domains": ["example.com"]})).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    let refused = server.login(&page, "mallory@evil.example").await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused.text.contains("Email domain not allowed"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("evil.example"), "{}", refused.text);
    assert!(
        refused.header("location").is_none(),
        "no code reaches the client"
    );
    let page = server.authorize(&client_id, &[]).await;
    assert_eq!(server.login(&page, "ada@example.com").await.status, 302);
}

async fn session(server: &Local, client_id: &str, email: &str) -> (String, String) {
    let page = server.authorize(client_id, &[]).await;
    let done = server.login(&page, email).await;
    assert_eq!(done.status, 302, "{}", done.text);
    let code = done.location_param("code").expect("code");
    let tokens = server
        .exchange(client_id, &code, common::local::VERIFIER)
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let json = tokens.json();
    (
        json["access_token"].as_str().expect("at").to_owned(),
        json["refresh_token"].as_str().expect("rt").to_owned(),
    )
}

#[tokio::test]
async fn a_login_beyond_the_session_limit_revokes_the_oldest_session() {
    let server = start(json!({"max_concurrent_sessions": 2})).await;
    let client_id = server.public_client().await;
    let first = session(&server, &client_id, "ada@example.com").await;
    server.clock.advance(1);
    let second = session(&server, &client_id, "ada@example.com").await;
    server.clock.advance(1);
    let other_user = session(&server, &client_id, "bob@example.com").await;
    server.clock.advance(1);
    let third = session(&server, &client_id, "ada@example.com").await;

    assert_eq!(
        server.mcp_status(&first.0).await,
        401,
        "the oldest is revoked"
    );
    assert_eq!(server.refresh(&client_id, &first.1).await.status, 400);
    for (access, _) in [&second, &third, &other_user] {
        assert_eq!(server.mcp_status(access).await, 200);
    }
    assert_eq!(server.refresh(&client_id, &second.1).await.status, 200);
}

#[tokio::test]
async fn a_session_ends_with_its_refresh_family_rewritten_at_most_once_a_minute() {
    let ttl = 86_400;
    let clock = frontmcp_auth::Clock::manual(common::local::START);
    let store = std::sync::Arc::new(frontmcp_auth::store::MemoryStore::new(clock.clone()));
    // A sliding lifetime: each refresh moves the family's end, and the session's with it.
    let auth = json!({"refresh": {"refresh_token_ttl": ttl, "sliding": true}});
    let server = Local::start_with_store(
        &definition(auth, json!({}), json!({})),
        &[],
        clock,
        store.clone(),
    )
    .await;
    // One second into a minute, so that ten seconds later is still the same minute.
    server.clock.advance(1);
    let (client_id, tokens) = server.tokens().await;
    let subject = common::local::claims_of(tokens["access_token"].as_str().expect("access"))["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    let session_end = || async {
        use frontmcp_auth::store::SessionStore;
        let sessions = store.sessions_of(&subject).await.expect("sessions");
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        sessions[0].expires_at
    };
    let round_up = |t: u64| t.div_ceil(60) * 60;
    assert_eq!(session_end().await, round_up(server.clock.now() + ttl));

    let mut refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let mut rotate = async |advance: u64| {
        server.clock.advance(advance);
        let reply = server.refresh(&client_id, &refresh).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        refresh = reply.json()["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        server.clock.now() + ttl
    };
    let first_end = round_up(server.clock.now() + ttl);
    let family_end = rotate(10).await;
    assert_eq!(
        session_end().await,
        first_end,
        "inside the same minute the record is not rewritten"
    );
    assert!(first_end >= family_end && first_end < family_end + 60);
    let family_end = rotate(60).await;
    let end = session_end().await;
    assert_eq!(end, round_up(family_end), "a later minute moves the end");
    assert!(
        end >= family_end && end < family_end + 60,
        "never before the family's end"
    );
}

#[tokio::test]
async fn the_admin_endpoint_revokes_every_session_of_a_user_at_once() {
    let server = start(json!({"admin_token": ADMIN})).await;
    let client_id = server.public_client().await;
    let one = session(&server, &client_id, "ada@example.com").await;
    let two = session(&server, &client_id, "ada@example.com").await;
    let bob = session(&server, &client_id, "bob@example.com").await;
    let body = json!({"user_email": "ada@example.com", "reason": "Account compromise", "revoke_all": true});

    let anonymous = server
        .post_json("/admin/sessions/revoke", body.clone(), &[])
        .await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").is_some());
    let wrong = server
        .post_json(
            "/admin/sessions/revoke",
            body.clone(),
            &[(
                "authorization",
                "Bearer admin-credential-0123456789abcdef-xyZ",
            )],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {ADMIN}");
    let vague = server
        .post_json(
            "/admin/sessions/revoke",
            json!({"user_email": "ada@example.com"}),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(vague.status, 400, "neither revoke_all nor a client");
    let unknown_field = server
        .post_json(
            "/admin/sessions/revoke",
            json!({"user": "ada@example.com", "revoke_all": true}),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(unknown_field.status, 400);
    assert_eq!(server.mcp_status(&one.0).await, 200, "nothing revoked yet");

    // Written as the user typed it at login: matched as login normalises it.
    let done = server
        .post_json(
            "/admin/sessions/revoke",
            json!({"user_email": " Ada@Example.COM ", "reason": "Account compromise", "revoke_all": true}),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json()["revoked_sessions"], 2);
    let again = server
        .post_json(
            "/admin/sessions/revoke",
            body,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(
        again.json()["revoked_sessions"],
        0,
        "nothing left to revoke"
    );
    for (access, refresh) in [&one, &two] {
        assert_eq!(server.mcp_status(access).await, 401, "refused right after");
        assert_eq!(server.refresh(&client_id, refresh).await.status, 400);
    }
    assert_eq!(
        server.mcp_status(&bob.0).await,
        200,
        "another user keeps their session"
    );
}

#[tokio::test]
async fn the_admin_endpoint_is_not_served_without_a_credential() {
    let server = start(json!({})).await;
    let reply = server
        .post_json(
            "/admin/sessions/revoke",
            json!({"user_email": "a@b.co", "revoke_all": true}),
            &[],
        )
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn metrics_need_the_metrics_credential_when_one_is_set() {
    let token = "metrics-credential-0123456789abcdef-xyz";
    let server = start(json!({"metrics_token": token})).await;
    assert_eq!(server.get("/metrics").await.status, 401);
    let reply = server
        .http
        .get(server.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_eq!(reply.status(), 200);
    assert!(
        reply
            .text()
            .await
            .expect("text")
            .contains("frontmcp_auth_rate_limited_total")
    );
}
