//! Records end on time, and clients persist under the registration limit.

use super::*;

pub(super) async fn records_expire_on_time(backend: Backend) {
    let store = backend.store("main");
    let clock = backend.clock.clone();
    store
        .put_pending(pending("p"), START + 100)
        .await
        .expect("pending");
    let code = CodeGrant {
        grant: grant(),
        redirect_uri: "r".into(),
        code_challenge: "c".into(),
        expires_at: START + 60,
        upstream_tokens: None,
    };
    store
        .put_code("code".into(), code, START + 100)
        .await
        .expect("code");
    store
        .create_family(family("fam", START + 100), "t0".into())
        .await
        .expect("family");
    store
        .put_session(session("s", "ada", START, START + 100))
        .await
        .expect("session");
    let consent = ConsentRecord {
        subject: "ada".into(),
        client_id: "client-1".into(),
        tools: vec!["add".into()],
        offered: vec!["add".into(), "sub".into()],
        granted_at: START,
        apps: Vec::new(),
        scopes: Vec::new(),
    };
    store
        .put_consent(consent.clone(), START + 100)
        .await
        .expect("consent");
    store
        .put_vault("s".into(), vec![1, 2, 3], START + 100)
        .await
        .expect("vault");
    store
        .put_vault("long".into(), vec![9], START + 10_000)
        .await
        .expect("vault");

    clock.advance(99);
    assert!(store.pending("p").await.expect("read").is_some());
    assert!(store.family("fam").await.expect("read").is_some());
    assert!(store.session("s").await.expect("read").is_some());
    assert_eq!(
        store.consent("ada", "client-1").await.expect("read"),
        Some(consent)
    );
    assert_eq!(store.vault("s").await, Ok(Some(vec![1, 2, 3])));

    clock.advance(1);
    assert_eq!(store.pending("p").await, Ok(None));
    assert_eq!(store.take_pending("p").await, Ok(None));
    assert_eq!(
        store.redeem_code("code", "f").await,
        Ok(CodeRedemption::Unknown)
    );
    assert_eq!(store.family("fam").await, Ok(None));
    assert_eq!(store.family_by_token("t0").await, Ok(None));
    assert!(
        !store
            .rotate_family(rotation("fam", 0, "t1"))
            .await
            .expect("rotate")
            || store.family_by_token("t1").await.expect("lookup").is_none(),
        "an expired family cannot be brought back by a rotation"
    );
    assert_eq!(store.session("s").await, Ok(None));
    assert_eq!(store.sessions_of("ada").await, Ok(vec![]));
    assert_eq!(store.consent("ada", "client-1").await, Ok(None));
    assert_eq!(store.vault("s").await, Ok(None));

    store.sweep_expired().await.expect("sweep");
    assert_eq!(
        store.vault("long").await,
        Ok(Some(vec![9])),
        "a sweep keeps live records"
    );
}

pub(super) async fn clients_persist_under_the_registration_limit(backend: Backend) {
    let store = backend.store("main");
    store
        .register_client(client("configured", ClientSource::Configured), 0)
        .await
        .expect("configured clients do not count against the limit");
    store
        .register_client(client("a", ClientSource::Registered), 2)
        .await
        .expect("first");
    store
        .register_client(client("b", ClientSource::Registered), 2)
        .await
        .expect("second");
    assert!(matches!(
        store
            .register_client(client("c", ClientSource::Registered), 2)
            .await,
        Err(StoreError::LimitReached(_))
    ));
    assert_eq!(
        store.client("a").await,
        Ok(Some(client("a", ClientSource::Registered)))
    );
    assert_eq!(store.client("c").await, Ok(None));
    assert!(store.client("configured").await.expect("read").is_some());

    // Concurrent registrations never overshoot the limit.
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .register_client(client(&format!("x{i}"), ClientSource::Registered), 10)
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.expect("task").is_ok() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 8, "2 registered before, 10 at most");
}

/// `dcr.client_ttl` in the store: an expired client reads as absent and stops counting
/// against the limit; a touch moves a client's end unless it moved meanwhile or the client is
/// gone; a deleted client never comes back, and the deletion moves the revocation count.
pub(super) async fn registered_clients_expire_are_touched_and_deleted(backend: Backend) {
    let store = backend.store("main");
    let expiring = |id: &str, until: u64| ClientRecord {
        keep_until: Some(until),
        ..client(id, ClientSource::Registered)
    };
    store
        .register_client(expiring("old", START + 100), 2)
        .await
        .expect("old");
    store
        .register_client(client("forever", ClientSource::Registered), 2)
        .await
        .expect("forever");
    assert_eq!(
        store.client("old").await,
        Ok(Some(expiring("old", START + 100)))
    );
    backend.clock.advance(101);
    assert_eq!(store.client("old").await, Ok(None), "expired");
    store
        .register_client(expiring("new", START + 200), 2)
        .await
        .expect("the expired client no longer counts");
    assert!(matches!(
        store
            .register_client(expiring("one-more", START + 200), 2)
            .await,
        Err(StoreError::LimitReached(_))
    ));

    let read = store.client("new").await.expect("read").expect("live");
    store.touch_client(&read, START + 500).await.expect("touch");
    store
        .touch_client(&read, START + 900)
        .await
        .expect("a stale touch is no error");
    backend.clock.advance(200);
    let touched = store.client("new").await.expect("read").expect("moved on");
    assert_eq!(
        touched.keep_until,
        Some(START + 500),
        "the stale touch changed nothing"
    );

    let revocations = match store.revocations() {
        Some(count) => Some(count.await.expect("count")),
        None => None,
    };
    assert_eq!(store.delete_client("new").await, Ok(true));
    assert_eq!(store.delete_client("new").await, Ok(false));
    store
        .touch_client(&touched, START + 1_000)
        .await
        .expect("touch");
    assert_eq!(
        store.client("new").await,
        Ok(None),
        "deleted, and not brought back"
    );
    if let (Some(before), Some(after)) = (revocations, store.revocations()) {
        assert_ne!(
            after.await.expect("count"),
            before,
            "deletion moves the count"
        );
    }
    store
        .register_client(expiring("one-more", START + 1_000), 2)
        .await
        .expect("the deleted client no longer counts");
}
