//! The password directory's users and the vault's sealed upstream tokens.

use super::*;

/// The password directory's users: added, replaced, listed by name, removed; a sign-in through
/// the server leaves only the argon2id hash at rest, never the password.
pub(super) async fn users_are_kept_listed_and_removed(backend: Backend) {
    let store = backend.store("main");
    let user = |name: &str, subject: &str| frontmcp_auth::store::UserRecord {
        username: name.into(),
        subject: subject.into(),
        email: Some(format!("{name}@example.com")),
        name: None,
        password_hash: None,
        passkeys: vec![json!({"cred": {"counter": 1}})],
        created_at: START,
    };
    assert_eq!(store.user("bea").await.expect("read"), None);
    assert!(!store.has_users().await.expect("has"));
    store.put_user(user("bea", "s-bea")).await.expect("put");
    assert!(store.has_users().await.expect("has"));
    store.put_user(user("ann", "s-ann")).await.expect("put");
    store
        .put_user(user("bea", "s-bea-2"))
        .await
        .expect("replace");
    let listed: Vec<(String, String)> = store
        .list_users(10)
        .await
        .expect("list")
        .into_iter()
        .map(|u| (u.username, u.subject))
        .collect();
    assert_eq!(
        listed,
        [
            ("ann".into(), "s-ann".into()),
            ("bea".into(), "s-bea-2".into())
        ]
    );
    assert_eq!(store.list_users(1).await.expect("list").len(), 1);
    assert_eq!(
        store.user("ann").await.expect("read").map(|u| u.passkeys),
        Some(vec![json!({"cred": {"counter": 1}})])
    );
    assert!(
        backend
            .store("other")
            .user("ann")
            .await
            .expect("read")
            .is_none()
    );
    assert!(store.delete_user("ann").await.expect("delete"));
    assert!(!store.delete_user("ann").await.expect("delete again"));
    assert_eq!(store.list_users(10).await.expect("list").len(), 1);

    let password = "a password that stays in the browser";
    common::local::add_users(&store, &[("ada@example.com", password)]).await;
    let local = Local::start_with_store(
        &definition(json!({"login": {"authenticator": "password"}})),
        &[],
        backend.clock.clone(),
        store.clone(),
    )
    .await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    assert_eq!(
        local
            .sign_in(&page, "ada@example.com", password)
            .await
            .status,
        302
    );
    let raw = backend.at_rest();
    assert!(raw.contains("$argon2id$"), "the hash is at rest");
    assert!(!raw.contains(password), "the password is not");
}

/// A remote-mode vault over `store` sealing with `vault_key`, for a provider on a closed
/// loopback port (revocation attempts fail at once; nothing here calls the provider otherwise).
pub(super) fn vault_over(store: Arc<dyn Store>, clock: &Clock, vault_key: &str) -> Arc<Vault> {
    let auth = common::remote::auth_config("http://127.0.0.1:9", json!({ "vault_key": vault_key }));
    RemoteProvider::build(&auth, store, clock.clone(), HttpFetcher::default())
        .expect("provider")
        .vault
        .expect("stateful sessions have a vault")
}

pub(super) fn vault_entry(
    subject: &str,
    access: &str,
    refresh: &str,
    keep_until: u64,
) -> VaultEntry {
    VaultEntry {
        subject: subject.to_owned(),
        client_id: String::from("client-1"),
        provider: String::from("default"),
        tokens: TokenSet {
            access_token: access.to_owned(),
            token_type: String::from("Bearer"),
            expires_at: Some(START + 3600),
            refresh_token: Some(refresh.to_owned()),
            id_token: None,
            scope: Some(String::from("openid email")),
        },
        keep_until,
    }
}

pub(super) async fn vault_entries_are_sealed_bound_and_expire(backend: Backend) {
    let store = backend.store("vault");
    let writer = vault_over(store.clone(), &backend.clock, common::remote::VAULT_KEY);
    let access = "upstream-access-token-7f3a9c";
    let refresh = "upstream-refresh-token-c81d2e";
    writer
        .put(
            "session-1",
            vault_entry("user-1", access, refresh, START + 600),
        )
        .await
        .expect("put");

    let sealed = store
        .vault("session-1")
        .await
        .expect("read")
        .expect("stored");
    let raw = String::from_utf8_lossy(&sealed);
    assert!(
        !raw.contains(access) && !raw.contains(refresh),
        "sealed: {raw}"
    );
    let at_rest = backend.at_rest();
    assert!(
        !at_rest.contains(access) && !at_rest.contains(refresh) && !at_rest.contains("user-1"),
        "nothing of the entry is readable at rest"
    );

    // Another process with the same key (a restart, another instance) reads it from the store.
    let reader = vault_over(store.clone(), &backend.clock, common::remote::VAULT_KEY);
    let token = reader
        .token("session-1", "user-1", "default")
        .await
        .expect("the session's token");
    assert_eq!(token.access_token, access);
    assert_eq!(token.expires_at, Some(START + 3600));
    assert!(
        matches!(
            reader.token("session-1", "user-2", "default").await,
            Err(UpstreamError::NoSession(_))
        ),
        "another user's session gives nothing"
    );
    assert!(matches!(
        reader.token("session-1", "user-1", "github").await,
        Err(UpstreamError::UnknownProvider(_))
    ));

    // The sealed bytes are bound to their session and their key.
    store
        .put_vault(String::from("session-2"), sealed.clone(), START + 600)
        .await
        .expect("copy");
    assert!(
        matches!(
            reader.token("session-2", "user-1", "default").await,
            Err(UpstreamError::NoSession(_))
        ),
        "an entry copied under another session does not open"
    );
    let other_key = vault_over(
        store.clone(),
        &backend.clock,
        "another-vault-key-of-at-least-32-characters",
    );
    assert!(matches!(
        other_key.token("session-1", "user-1", "default").await,
        Err(UpstreamError::NoSession(_))
    ));

    // Ending the session deletes its entry for every instance.
    writer
        .put("session-3", vault_entry("user-1", "a3", "r3", START + 600))
        .await
        .expect("put");
    writer.end("session-3").await;
    assert_eq!(store.vault("session-3").await.expect("read"), None);
    assert!(matches!(
        vault_over(store.clone(), &backend.clock, common::remote::VAULT_KEY)
            .token("session-3", "user-1", "default")
            .await,
        Err(UpstreamError::NoSession(_))
    ));

    // An entry lives as long as its session, extended with it.
    writer.extend("session-1", START + 1200).await;
    backend.clock.advance(900);
    assert!(
        store.vault("session-1").await.expect("read").is_some(),
        "extended"
    );
    assert_eq!(
        store.vault("session-2").await.expect("read"),
        None,
        "expired"
    );
    backend.clock.advance(301);
    assert_eq!(store.vault("session-1").await.expect("read"), None);
}
