//! Refresh families: a revoked family is removed with its token hashes, and a family keeps
//! only its newest hashes however often it rotates.

use super::*;

pub(super) async fn revoked_families_are_removed(backend: Backend) {
    let store = backend.store("main");
    store
        .create_family(family("fam", START + 500), "t0".into())
        .await
        .expect("create");
    assert!(
        store
            .rotate_family(rotation("fam", 0, "t1"))
            .await
            .expect("rotate")
    );
    store.revoke_family("fam").await.expect("revoke");
    store
        .revoke_family("never-existed")
        .await
        .expect("revoking nothing is fine");
    assert!(
        store.family("never-existed").await.expect("read").is_none(),
        "revoking an absent family creates nothing"
    );
    assert!(
        !store
            .rotate_family(rotation("fam", 1, "t2"))
            .await
            .expect("rotate"),
        "a revoked family does not rotate"
    );
    assert!(store.family("fam").await.expect("read").is_none(), "gone");
    for token in ["t0", "t1", "t2"] {
        assert!(
            store
                .family_by_token(token)
                .await
                .expect("lookup")
                .is_none(),
            "{token} refreshes nothing"
        );
    }
    assert_eq!(backend.family_records("main"), 0, "nothing of it stays");
}

/// Issue 19: a refresh loop leaves a family's stored size constant; only the newest
/// `KEPT_TOKEN_GENERATIONS` hashes are known.
pub(super) async fn a_refresh_loop_of_10000_rotations_leaves_the_family_size_constant(
    backend: Backend,
) {
    const ROTATIONS: u64 = 10_000;
    let kept = frontmcp_auth::store::KEPT_TOKEN_GENERATIONS;
    let store = backend.store("main");
    store
        .create_family(family("fam", START + 500), "t0".into())
        .await
        .expect("create");
    let mut after_warm_up = 0;
    for generation in 0..ROTATIONS {
        assert!(
            store
                .rotate_family(rotation("fam", generation, &format!("t{}", generation + 1)))
                .await
                .expect("rotate"),
            "generation {generation} rotates"
        );
        if generation + 1 == 2 * kept {
            after_warm_up = backend.family_records("main");
        }
    }
    assert_eq!(
        backend.family_records("main"),
        after_warm_up,
        "the same records after {} rotations as after {}",
        ROTATIONS,
        2 * kept
    );
    assert_eq!(after_warm_up, 1 + kept, "the family and its kept hashes");
    for generation in ROTATIONS + 1 - kept..=ROTATIONS {
        let lookup = store
            .family_by_token(&format!("t{generation}"))
            .await
            .expect("lookup")
            .expect("a kept generation is known");
        assert_eq!(lookup.generation, generation);
    }
    for generation in [0, 1, ROTATIONS - kept] {
        assert!(
            store
                .family_by_token(&format!("t{generation}"))
                .await
                .expect("lookup")
                .is_none(),
            "generation {generation} is pruned"
        );
    }
}
