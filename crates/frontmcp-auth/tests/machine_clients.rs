//! Machine clients (SEP-1046): pre-registered confidential clients get tokens of their own with
//! `client_credentials`, authenticating with `client_secret_basic` or `private_key_jwt`
//! (RFC 7523), and call tools with them; every refusal is the RFC error.

mod common;

use base64::Engine;
use common::local::{Local, definition, form};
use common::mcp::{Client, text_of};
use frontmcp_auth::token::{KeyKind, SigningKey};
use serde_json::{Map, Value, json};

const SECRET: &str = "a-service-secret-of-at-least-32-characters";

/// A server with `svc-secret` (a secret) and `svc-jwt` (keys), both limited to `notes:read`.
async fn server(key: &SigningKey) -> Local {
    let jwks = json!({"keys": [key.public_jwk().expect("public")]});
    let auth = json!({
        "scopes_supported": ["notes:read", "notes:write"],
        "dcr": {"clients": [
            {"client_id": "svc-secret", "client_secret": SECRET,
             "grant_types": ["client_credentials"], "scopes": ["notes:read"]},
            {"client_id": "svc-jwt", "jwks": jwks,
             "grant_types": ["client_credentials"], "scopes": ["notes:read"]},
        ]},
    });
    Local::start_definition(&definition(auth), &[]).await
}

fn basic() -> String {
    let pair = format!("svc-secret:{SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A `private_key_jwt` assertion of `svc-jwt` for `aud`, living `lifetime` seconds.
fn assertion(key: &SigningKey, local: &Local, aud: &str, jti: &str, lifetime: u64) -> String {
    let now = local.clock.now();
    let mut claims = Map::new();
    for (name, value) in [
        ("iss", json!("svc-jwt")),
        ("sub", json!("svc-jwt")),
        ("aud", json!(aud)),
        ("jti", json!(jti)),
        ("iat", json!(now)),
        ("exp", json!(now + lifetime)),
    ] {
        claims.insert(name.into(), value);
    }
    key.sign_jwt(None, &claims).expect("sign")
}

async fn with_assertion(local: &Local, assertion: &str, extra: &[(&str, &str)]) -> Value {
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    pairs.extend_from_slice(extra);
    local
        .post_form("/oauth/token", form(&pairs), &[])
        .await
        .json()
}

async fn whoami(local: &Local, token: &str) -> String {
    let mut mcp = Client::new(local.url("/mcp")).with_token(token);
    assert_eq!(mcp.initialize().await.status, 200);
    text_of(&mcp.call("whoami", json!({})).await)
}

#[tokio::test]
async fn a_service_gets_tokens_with_a_secret_and_with_a_signed_assertion() {
    let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
    let local = server(&key).await;
    let metadata = local
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert!(
        metadata["grant_types_supported"]
            .as_array()
            .expect("grants")
            .contains(&json!("client_credentials"))
    );
    assert!(
        metadata["token_endpoint_auth_methods_supported"]
            .as_array()
            .expect("methods")
            .contains(&json!("private_key_jwt"))
    );
    assert!(metadata["token_endpoint_auth_signing_alg_values_supported"].is_array());

    // client_secret_basic.
    let reply = local
        .post_form(
            "/oauth/token",
            form(&[("grant_type", "client_credentials")]),
            &[("authorization", &basic())],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let tokens = reply.json();
    assert!(tokens.get("refresh_token").is_none(), "no refresh token");
    assert_eq!(tokens["scope"], "notes:read");
    let access = tokens["access_token"].as_str().expect("access");
    let claims = common::local::claims_of(access);
    assert_eq!(claims["sub"], "svc-secret");
    assert_eq!(claims["grant_type"], "client_credentials");
    assert_eq!(claims["aud"], local.url("/mcp"));
    assert!(whoami(&local, access).await.starts_with("svc-secret "));

    // private_key_jwt.
    let token_endpoint = local.url("/oauth/token");
    let signed = assertion(&key, &local, &token_endpoint, "jti-1", 60);
    let tokens = with_assertion(&local, &signed, &[]).await;
    let access = tokens["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"));
    assert_eq!(common::local::claims_of(access)["sub"], "svc-jwt");
    assert!(whoami(&local, access).await.starts_with("svc-jwt "));
}

#[tokio::test]
async fn bad_assertions_scopes_and_public_clients_get_the_rfc_error() {
    let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
    let local = server(&key).await;
    let token_endpoint = local.url("/oauth/token");
    // Replayed.
    let once = assertion(&key, &local, &token_endpoint, "jti-once", 60);
    assert!(with_assertion(&local, &once, &[]).await["access_token"].is_string());
    let replay = with_assertion(&local, &once, &[]).await;
    assert_eq!(replay["error"], "invalid_client", "{replay}");
    assert!(
        replay["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("already used")
    );
    // For another audience.
    let elsewhere = assertion(&key, &local, "https://other.example/token", "jti-aud", 60);
    assert_eq!(
        with_assertion(&local, &elsewhere, &[]).await["error"],
        "invalid_client"
    );
    // Expired, and living too long.
    let expired = assertion(&key, &local, &token_endpoint, "jti-old", 60);
    local.clock.advance(200);
    assert_eq!(
        with_assertion(&local, &expired, &[]).await["error"],
        "invalid_client"
    );
    let long = assertion(&key, &local, &token_endpoint, "jti-long", 3600);
    assert_eq!(
        with_assertion(&local, &long, &[]).await["error"],
        "invalid_client"
    );
    // Signed by another key.
    let stranger = SigningKey::generate(KeyKind::Es256).expect("key").0;
    let forged = assertion(&stranger, &local, &token_endpoint, "jti-forged", 60);
    assert_eq!(
        with_assertion(&local, &forged, &[]).await["error"],
        "invalid_client"
    );
    // A keys-only client cannot name itself without an assertion.
    let bare = local
        .post_form(
            "/oauth/token",
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "svc-jwt"),
            ]),
            &[],
        )
        .await;
    assert_eq!(bare.json()["error"], "invalid_client");
    // A scope beyond the client's.
    let wider = local
        .post_form(
            "/oauth/token",
            form(&[
                ("grant_type", "client_credentials"),
                ("scope", "notes:read notes:write"),
            ]),
            &[("authorization", &basic())],
        )
        .await;
    assert_eq!(wider.json()["error"], "invalid_scope");
    // Another resource.
    let target = local
        .post_form(
            "/oauth/token",
            form(&[
                ("grant_type", "client_credentials"),
                ("resource", "https://elsewhere.example/mcp"),
            ]),
            &[("authorization", &basic())],
        )
        .await;
    assert_eq!(target.json()["error"], "invalid_target");
    // A public client registered dynamically.
    let public = local.public_client().await;
    let refused = local
        .post_form(
            "/oauth/token",
            form(&[("grant_type", "client_credentials"), ("client_id", &public)]),
            &[],
        )
        .await;
    assert_eq!(
        refused.json()["error"],
        "unauthorized_client",
        "{}",
        refused.text
    );
    // A wrong secret.
    let wrong = local
        .post_form(
            "/oauth/token",
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "svc-secret"),
                ("client_secret", "nope"),
            ]),
            &[],
        )
        .await;
    assert_eq!(wrong.json()["error"], "invalid_client");
}

#[tokio::test]
async fn a_machine_client_needs_a_credential_and_known_grants() {
    use common::{assert_violation, load_toml};
    let bare = frontmcp_auth::ServerDefinition::new("Machines");
    assert_violation(
        load_toml(
            &bare,
            "[auth]\nmode = \"local\"\n[[auth.dcr.clients]]\nclient_id = \"svc\"\ngrant_types = [\"client_credentials\"]\n",
            &[],
        ),
        frontmcp_auth::rules::Rule::MachineClientInvalid,
        "has no client_secret and no keys",
    );
    assert_violation(
        load_toml(
            &bare,
            "[auth]\nmode = \"local\"\n[[auth.dcr.clients]]\nclient_id = \"svc\"\nclient_secret = \"s\"\nredirect_uris = [\"http://127.0.0.1/cb\"]\ngrant_types = [\"password\"]\n",
            &[],
        ),
        frontmcp_auth::rules::Rule::MachineClientInvalid,
        "`password` is not a grant type",
    );
}

#[tokio::test]
async fn a_service_asking_on_every_run_keeps_at_most_32_live_sessions() {
    let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
    let local = server(&key).await;
    let mut tokens = Vec::new();
    for _ in 0..33 {
        // One run a second.
        local.clock.advance(1);
        let reply = local
            .post_form(
                "/oauth/token",
                form(&[("grant_type", "client_credentials")]),
                &[("authorization", &basic())],
            )
            .await;
        tokens.push(
            reply.json()["access_token"]
                .as_str()
                .expect("access")
                .to_owned(),
        );
    }
    assert_eq!(
        local.mcp_status(&tokens[0]).await,
        401,
        "the oldest session made room"
    );
    assert_eq!(local.mcp_status(&tokens[1]).await, 200);
    assert_eq!(local.mcp_status(&tokens[32]).await, 200);
}

/// Malformed and hostile client assertions get `invalid_client`, empty or oversized ones
/// `invalid_request` (too long or too large); never a 5xx.
#[tokio::test]
async fn malformed_and_oversized_client_assertions_are_invalid_client() {
    let key = SigningKey::generate(KeyKind::Es256).expect("key").0;
    let local = server(&key).await;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        engine.encode(br#"{"alg":"none","typ":"JWT"}"#),
        engine.encode(br#"{"iss":"svc-jwt","sub":"svc-jwt"}"#)
    );
    let huge = format!("{}.{}.x", "a".repeat(10), "b".repeat(64 * 1024));
    for hostile in [
        "",
        "not-a-jwt",
        "a.b.c",
        "....",
        "\u{0}\u{1}.%%%.{}",
        unsigned.as_str(),
        huge.as_str(),
    ] {
        let reply = local
            .post_form(
                "/oauth/token",
                form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", hostile),
                ]),
                &[],
            )
            .await;
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
            // An empty assertion is a missing parameter.
            let expected = if hostile.is_empty() {
                "invalid_request"
            } else {
                "invalid_client"
            };
            assert_eq!(reply.json()["error"], expected, "{hostile:.60}");
        }
    }
}
