//! Stores of other names share nothing; revocations are counted; secrets are hashes at rest.

use super::*;

pub(super) async fn stores_with_other_names_are_isolated(backend: Backend) {
    let (one, two) = (backend.store("one"), backend.store("two"));
    one.register_client(client("a", ClientSource::Registered), 1)
        .await
        .expect("register");
    two.register_client(client("b", ClientSource::Registered), 1)
        .await
        .expect("the other store's limit is its own");
    one.put_pending(pending("p"), START + 100)
        .await
        .expect("pending");
    one.create_family(family("fam", START + 100), "t0".into())
        .await
        .expect("family");
    one.put_vault("s".into(), vec![1], START + 100)
        .await
        .expect("vault");
    assert_eq!(two.client("a").await, Ok(None));
    assert_eq!(two.pending("p").await, Ok(None));
    assert_eq!(two.family("fam").await, Ok(None));
    assert_eq!(two.family_by_token("t0").await, Ok(None));
    assert_eq!(two.vault("s").await, Ok(None));
    assert!(
        !two.rotate_family(rotation("fam", 0, "t1"))
            .await
            .expect("rotate"),
        "a rotation through another store does not touch this family"
    );
    assert_eq!(
        one.family("fam").await.expect("read").map(|f| f.generation),
        Some(0)
    );
}

/// Every revocation changes the store's revocation count (what the guard's session cache is
/// valid against), whether or not the family exists, and the count only grows.
pub(super) async fn every_revocation_changes_the_revocation_count(backend: Backend) {
    let store = backend.store("one");
    let count = || async {
        store
            .revocations()
            .expect("every backend counts revocations")
            .await
            .expect("read")
    };
    let before = count().await;
    assert_eq!(count().await, before, "reading does not change it");
    store
        .create_family(family("fam", START + 100), "t0".into())
        .await
        .expect("family");
    assert_eq!(
        count().await,
        before,
        "creating a family does not change it"
    );
    store.revoke_family("fam").await.expect("revoke");
    let once = count().await;
    assert!(once > before, "{before} -> {once}");
    store.revoke_family("unknown").await.expect("revoke");
    assert!(count().await > once);
}

/// A full flow through the authorization server on this backend: what lands at rest holds no
/// code, refresh token, client secret or PKCE verifier, and a sealed vault entry holds no
/// upstream token in clear.
pub(super) async fn secrets_are_hashed_at_rest(backend: Backend) {
    let store = backend.store("main");
    let local = Local::start_with_store(
        &definition(json!({})),
        &[],
        backend.clock.clone(),
        store.clone(),
    )
    .await;
    let confidential = local
        .register(
            json!({"redirect_uris": [common::local::REDIRECT], "client_name": "Confidential"}),
        )
        .await
        .json();
    let secret = confidential["client_secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let (code_client, code) = local.code().await;
    let tokens = local
        .exchange(&code_client, &code, common::local::VERIFIER)
        .await
        .json();
    let first_refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let rotated = local.refresh(&code_client, &first_refresh).await.json();
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    // Read before the revocation below, which removes the family's records.
    let live = backend.at_rest();
    assert!(
        live.contains(&digest(&first_refresh)),
        "the store holds the refresh token's digest (so the dump is real)"
    );
    let body = form(&[("token", &second_refresh), ("client_id", &code_client)]);
    assert_eq!(
        local.post_form("/oauth/revoke", body, &[]).await.status,
        200
    );

    let upstream = "upstream-access-token-in-clear";
    let sealed = seal_for("vault", "vault key", b"s", upstream.as_bytes()).expect("seal");
    store
        .put_vault("s".into(), sealed, START + 100)
        .await
        .expect("vault");

    let raw = backend.at_rest() + &live;
    for (what, value) in [
        ("authorization code", code.as_str()),
        ("refresh token", first_refresh.as_str()),
        ("rotated refresh token", second_refresh.as_str()),
        ("client secret", secret.as_str()),
        ("PKCE verifier", common::local::VERIFIER),
        ("upstream token", upstream),
    ] {
        assert!(!raw.contains(value), "the {what} is stored in clear");
    }
    let back = store.vault("s").await.expect("read").expect("entry");
    assert_eq!(
        open_for("vault", "vault key", b"s", &back).as_deref(),
        Some(upstream.as_bytes())
    );
}
