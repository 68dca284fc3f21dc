//! An MCP session belongs to the caller that created it: another user's token (or another
//! client's, or none) on its `Mcp-Session-Id` gets 404 for POST, the GET stream with
//! `Last-Event-ID`, and DELETE, and the owner carries on untouched.

mod common;

use common::local::{Local, definition};
use common::mcp::{Client, on_session, text_of};
use serde_json::json;

async fn raw(
    server: &Local,
    method: reqwest::Method,
    session: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> u16 {
    on_session(&server.url("/mcp"), method, session, token, extra)
        .await
        .0
}

#[tokio::test]
async fn another_users_token_on_a_session_is_refused_and_the_owner_carries_on() {
    let server = Local::start_definition(&definition(json!({})), &[]).await;
    let client_id = server.public_client().await;
    let other_client = server.public_client().await;
    let ada = server.access_token(&client_id, "ada@example.com").await;
    let bob = server.access_token(&client_id, "bob@example.com").await;
    let ada_elsewhere = server.access_token(&other_client, "ada@example.com").await;

    let mut owner = Client::new(server.url("/mcp")).with_token(&ada);
    assert_eq!(owner.initialize().await.status, 200);
    let session = owner.session().expect("a session id").to_owned();

    for (who, credential) in [
        ("another user", Some(bob.as_str())),
        (
            "the same user at another client",
            Some(ada_elsewhere.as_str()),
        ),
    ] {
        for (method, extra) in [
            (reqwest::Method::POST, vec![]),
            (reqwest::Method::GET, vec![("last-event-id", "0")]),
            (reqwest::Method::DELETE, vec![]),
        ] {
            let status = raw(&server, method.clone(), &session, credential, &extra).await;
            assert_eq!(status, 404, "{who}: {method}");
        }
    }
    // Without a token the guard asks for one before looking at the session.
    assert_eq!(
        raw(&server, reqwest::Method::POST, &session, None, &[]).await,
        401
    );
    // A made-up session id is nobody's.
    assert_eq!(
        raw(
            &server,
            reqwest::Method::POST,
            "not-a-session",
            Some(&ada),
            &[]
        )
        .await,
        404
    );

    // The DELETE above did not end the owner's session.
    let answer = owner.call("whoami", json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(
        text_of(&answer).starts_with("ada@example.com"),
        "{}",
        answer.text
    );

    // The owner ends it; then it is gone for the owner too.
    let ended = raw(&server, reqwest::Method::DELETE, &session, Some(&ada), &[]).await;
    assert!((200..300).contains(&ended), "{ended}");
    assert_eq!(
        raw(&server, reqwest::Method::POST, &session, Some(&ada), &[]).await,
        404
    );
}
