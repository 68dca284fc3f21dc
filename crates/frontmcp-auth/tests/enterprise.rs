//! Enterprise-managed authorization (SEP-990): an enterprise identity provider on loopback (its
//! own ES256 key and JWKS) issues an Identity Assertion JWT Authorization Grant for a user; the
//! MCP client exchanges it at our token endpoint and calls a tool as that user. Each MUST of the
//! grant has a named refusal.

mod common;

use base64::Engine;
use common::local::{Local, definition_with, form};
use common::mcp::{Client, text_of};
use frontmcp_auth::token::{KeyKind, SigningKey};
use serde_json::{Map, Value, json};

const AGENT_SECRET: &str = "an-agent-secret-of-at-least-32-characters";

/// The enterprise identity provider: its key, and its JWKS served on loopback.
struct Enterprise {
    key: SigningKey,
    issuer: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Enterprise {
    async fn start() -> Enterprise {
        let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
        let jwks = json!({"keys": [key.public_jwk().expect("public")]});
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let router = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        let tx = common::serve_until_dropped(listener, router);
        Enterprise {
            key,
            issuer,
            _stop: tx,
        }
    }
}

/// Our server trusting `idp`, with the agent client allowed the jwt-bearer grant.
async fn server(idp: &Enterprise, top: Value) -> Local {
    let auth = json!({
        "scopes_supported": ["notes:read"],
        "id_jag": {"issuers": [{"issuer": idp.issuer, "jwks_uri": format!("{}/jwks", idp.issuer)}]},
        "dcr": {"clients": [
            {"client_id": "agent", "client_secret": AGENT_SECRET,
             "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"]},
            {"client_id": "other-agent", "client_secret": AGENT_SECRET,
             "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"]},
        ]},
    });
    Local::start_definition(&definition_with(auth, top), &[]).await
}

/// The claims of a good ID-JAG for ada at `local`, for the agent.
fn claims(idp: &Enterprise, local: &Local, jti: &str) -> Map<String, Value> {
    let now = local.clock.now();
    let mut claims = Map::new();
    for (name, value) in [
        ("iss", json!(idp.issuer)),
        ("sub", json!("ada-42")),
        ("aud", json!(local.base())),
        ("client_id", json!("agent")),
        ("jti", json!(jti)),
        ("iat", json!(now)),
        ("exp", json!(now + 300)),
        ("resource", json!(local.url("/mcp"))),
        ("scope", json!("profile notes:read")),
        ("email", json!("ada@example.com")),
        ("email_verified", json!(true)),
    ] {
        claims.insert(name.into(), value);
    }
    claims
}

fn sign(key: &SigningKey, claims: &Map<String, Value>) -> String {
    key.sign_jwt(Some("oauth-id-jag+jwt"), claims)
        .expect("sign")
}

/// Exchanges `assertion` as the agent (or `client`), with `extra` parameters.
async fn exchange(local: &Local, client: &str, assertion: &str, extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", assertion),
        ("client_id", client),
        ("client_secret", AGENT_SECRET),
    ];
    pairs.extend_from_slice(extra);
    local
        .post_form("/oauth/token", form(&pairs), &[])
        .await
        .json()
}

fn refused(answer: &Value, code: &str, needle: &str) {
    assert_eq!(answer["error"], code, "{answer}");
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains(needle),
        "{needle}: {answer}"
    );
}

#[tokio::test]
async fn an_id_jag_is_exchanged_and_the_user_calls_a_tool() {
    let idp = Enterprise::start().await;
    let local = server(&idp, json!({})).await;
    let metadata = local
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(
        metadata["authorization_grant_profiles_supported"],
        json!(["urn:ietf:params:oauth:grant-profile:id-jag"])
    );
    let tokens = exchange(
        &local,
        "agent",
        &sign(&idp.key, &claims(&idp, &local, "j1")),
        &[],
    )
    .await;
    let access = tokens["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"));
    assert!(tokens.get("refresh_token").is_none());
    assert_eq!(tokens["scope"], "profile notes:read");
    let token = common::local::claims_of(access);
    assert_eq!(token["sub"], "ada-42");
    assert_eq!(token["email"], "ada@example.com");
    assert_eq!(token["idp"], idp.issuer);
    let mut mcp = Client::new(local.url("/mcp")).with_token(access);
    assert_eq!(mcp.initialize().await.status, 200);
    assert!(text_of(&mcp.call("whoami", json!({})).await).starts_with("ada-42 "));
    // The scopes are the intersection of the assertion's and the request's.
    let narrowed = exchange(
        &local,
        "agent",
        &sign(&idp.key, &claims(&idp, &local, "j2")),
        &[("scope", "notes:read email")],
    )
    .await;
    assert_eq!(narrowed["scope"], "notes:read", "{narrowed}");
}

#[tokio::test]
async fn a_replayed_id_jag_is_refused() {
    let idp = Enterprise::start().await;
    let local = server(&idp, json!({})).await;
    let assertion = sign(&idp.key, &claims(&idp, &local, "once"));
    assert!(exchange(&local, "agent", &assertion, &[]).await["access_token"].is_string());
    refused(
        &exchange(&local, "agent", &assertion, &[]).await,
        "invalid_grant",
        "already used",
    );
}

#[tokio::test]
async fn an_id_jag_of_another_signer_or_algorithm_or_type_is_refused() {
    let idp = Enterprise::start().await;
    let local = server(&idp, json!({})).await;
    let stranger = SigningKey::generate(KeyKind::Es256).expect("key").0;
    refused(
        &exchange(
            &local,
            "agent",
            &sign(&stranger, &claims(&idp, &local, "k")),
            &[],
        )
        .await,
        "invalid_grant",
        "not in the signer's JWKS",
    );
    let hmac = SigningKey::hs256(b"a-shared-secret-of-at-least-32-bytes!!");
    refused(
        &exchange(
            &local,
            "agent",
            &sign(&hmac, &claims(&idp, &local, "h")),
            &[],
        )
        .await,
        "invalid_grant",
        "not accepted",
    );
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims(&idp, &local, "n")).expect("json"));
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoib2F1dGgtaWQtamFnK2p3dCJ9.{payload}.");
    assert_eq!(
        exchange(&local, "agent", &unsigned, &[]).await["error"],
        "invalid_grant"
    );
    let plain_jwt = idp
        .key
        .sign_jwt(Some("JWT"), &claims(&idp, &local, "t"))
        .expect("sign");
    refused(
        &exchange(&local, "agent", &plain_jwt, &[]).await,
        "invalid_grant",
        "typ",
    );
}

#[tokio::test]
async fn an_id_jag_with_a_wrong_issuer_audience_subject_or_client_is_refused() {
    let idp = Enterprise::start().await;
    let local = server(&idp, json!({})).await;
    let with = |name: &str, value: Value| {
        let mut c = claims(&idp, &local, &format!("w-{name}"));
        if value.is_null() {
            c.remove(name);
        } else {
            c.insert(name.into(), value);
        }
        sign(&idp.key, &c)
    };
    refused(
        &exchange(
            &local,
            "agent",
            &with("iss", json!("https://evil.example")),
            &[],
        )
        .await,
        "invalid_grant",
        "not trusted",
    );
    refused(
        &exchange(
            &local,
            "agent",
            &with("aud", json!("https://other.example")),
            &[],
        )
        .await,
        "invalid_grant",
        "another audience",
    );
    refused(
        &exchange(&local, "agent", &with("sub", Value::Null), &[]).await,
        "invalid_grant",
        "no subject",
    );
    refused(
        &exchange(
            &local,
            "other-agent",
            &with("client_id", json!("agent")),
            &[],
        )
        .await,
        "invalid_grant",
        "another client",
    );
    refused(
        &exchange(
            &local,
            "agent",
            &with("resource", json!("https://elsewhere.example/mcp")),
            &[],
        )
        .await,
        "invalid_target",
        "another resource",
    );
    refused(
        &exchange(
            &local,
            "agent",
            &with("jti", json!("r")),
            &[("resource", "https://elsewhere.example/mcp")],
        )
        .await,
        "invalid_target",
        "not this server's",
    );
}

#[tokio::test]
async fn an_expired_future_or_long_lived_id_jag_is_refused() {
    let idp = Enterprise::start().await;
    let local = server(&idp, json!({})).await;
    let now = local.clock.now();
    let timed = |jti: &str, iat: u64, exp: u64| {
        let mut c = claims(&idp, &local, jti);
        c.insert("iat".into(), json!(iat));
        c.insert("exp".into(), json!(exp));
        sign(&idp.key, &c)
    };
    assert_eq!(
        exchange(&local, "agent", &timed("e", now - 900, now - 600), &[]).await["error"],
        "invalid_grant"
    );
    refused(
        &exchange(&local, "agent", &timed("f", now + 600, now + 900), &[]).await,
        "invalid_grant",
        "future",
    );
    refused(
        &exchange(&local, "agent", &timed("l", now, now + 7200), &[]).await,
        "invalid_grant",
        "longer than",
    );
}

#[tokio::test]
async fn the_user_of_an_id_jag_meets_the_identity_rules() {
    let idp = Enterprise::start().await;
    let local = server(
        &idp,
        json!({"security": {"allowed_email_domains": ["corp.example"]}}),
    )
    .await;
    refused(
        &exchange(
            &local,
            "agent",
            &sign(&idp.key, &claims(&idp, &local, "d")),
            &[],
        )
        .await,
        "invalid_grant",
        "email domain",
    );
    // With consent on, the user must have chosen the client's tools once, in a browser.
    let with_consent = Local::start_definition(
        &definition_with(
            json!({
                "consent": {"enabled": true},
                "id_jag": {"issuers": [{"issuer": idp.issuer, "jwks_uri": format!("{}/jwks", idp.issuer)}]},
                "dcr": {"clients": [{"client_id": "agent", "client_secret": AGENT_SECRET,
                                     "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"]}]},
            }),
            json!({}),
        ),
        &[],
    )
    .await;
    let mut ungranted = claims(&idp, &with_consent, "c");
    ungranted.insert("scope".into(), json!("profile"));
    refused(
        &exchange(&with_consent, "agent", &sign(&idp.key, &ungranted), &[]).await,
        "invalid_grant",
        "has not chosen the tools",
    );
    // A client that may not use the grant.
    let plain = local.public_client().await;
    let answer = local
        .post_form(
            "/oauth/token",
            form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &sign(&idp.key, &claims(&idp, &local, "p"))),
                ("client_id", &plain),
            ]),
            &[],
        )
        .await
        .json();
    assert_eq!(answer["error"], "unauthorized_client", "{answer}");
}

/// Malformed and unsigned ID-JAGs get `invalid_grant`, empty or oversized ones
/// `invalid_request` (too long or too large); never a 5xx.
#[tokio::test]
async fn a_malformed_or_oversized_id_jag_is_invalid_grant() {
    let idp = Enterprise::start().await;
    let local = server(&idp, json!({})).await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        engine.encode(br#"{"alg":"none","typ":"oauth-id-jag+jwt"}"#),
        engine.encode(serde_json::to_vec(&claims(&idp, &local, "none")).expect("claims"))
    );
    let huge = format!("{}.{}.x", "a".repeat(10), "b".repeat(64 * 1024));
    for hostile in [
        "",
        "not-a-jwt",
        "a.b.c",
        "\u{0}.%%%.{}",
        unsigned.as_str(),
        huge.as_str(),
    ] {
        let pairs = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", hostile),
            ("client_id", "agent"),
            ("client_secret", AGENT_SECRET),
        ];
        let reply = local.post_form("/oauth/token", form(&pairs), &[]).await;
        assert!(
            (400..500).contains(&reply.status),
            "{:.60}: {} {}",
            hostile,
            reply.status,
            reply.text
        );
        if hostile.len() > 8 * 1024 {
            let answer = reply.json();
            assert_eq!(answer["error"], "invalid_request", "{answer}");
            let description = answer["error_description"].as_str().unwrap_or_default();
            assert!(
                description.contains("too long") || description.contains("too large"),
                "{answer}"
            );
        } else {
            let error = reply.json()["error"].clone();
            assert!(
                error == "invalid_grant" || (hostile.is_empty() && error == "invalid_request"),
                "{:.60}: {error}",
                hostile
            );
        }
    }
}
