//! Access-token verification per algorithm: the guard's hot path for a locally issued token
//! (header checks, key lookup by `kid`, signature, `exp`).
//!
//! Run with `cargo bench -p frontmcp-auth --bench token_verification`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use frontmcp_auth::token::{KeyKind, Keyring, SigningKey};
use serde_json::{Map, Value, json};

const NOW: u64 = 1_800_000_000;

fn claims() -> Map<String, Value> {
    json!({
        "iss": "https://mcp.example.com",
        "sub": "user-1",
        "aud": "https://mcp.example.com/mcp",
        "exp": NOW + 900,
        "iat": NOW,
        "jti": "8c0a6f6e-0f3b-4a44-9d0c-7b5f3c1e2d4a",
        "client_id": "client-1",
        "scope": "mcp:read mcp:write",
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn verification(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_access_token");
    let keyrings = [
        (
            "HS256",
            Keyring::from_keys(vec![SigningKey::hs256(b"0123456789abcdef0123456789abcdef")]),
        ),
        (
            "ES256",
            Keyring::from_keys(vec![SigningKey::generate(KeyKind::Es256).expect("es256").0]),
        ),
        (
            "RS256",
            Keyring::from_keys(vec![SigningKey::generate(KeyKind::Rs256).expect("rs256").0]),
        ),
    ];
    for (name, keyring) in &keyrings {
        let token = keyring.sign(&claims()).expect("sign");
        assert!(keyring.verify(&token, NOW, 0).is_ok());
        group.bench_function(*name, |b| {
            b.iter(|| keyring.verify(black_box(&token), NOW, 0))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sign_access_token");
    for (name, keyring) in &keyrings {
        group.bench_function(*name, |b| b.iter(|| keyring.sign(black_box(&claims()))));
    }
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
