//! The authorization server's endpoints: discovery, registration, metadata documents, the
//! token endpoint's client authentication and errors, revocation, introspection, userinfo,
//! sessions and `allow_default_public`.

#[path = "../common/mod.rs"]
mod common;
mod documents;
mod sessions;

use base64::Engine;
use common::local::{CHALLENGE, Local, REDIRECT, VERIFIER, form};
use serde_json::{Value, json};

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

#[tokio::test]
async fn metadata_is_served_at_every_discovery_path() {
    let definition = common::local::definition(json!({})).with_base(json!({
        "http": {"entry_path": "/api"},
        "auth": {"mode": "local", "local": {"jwt_secret": common::local::SECRET}},
    }));
    let server = Local::start_definition(&definition, &[]).await;
    let issuer = server.url("/api");
    for path in [
        "/.well-known/oauth-authorization-server/api",
        "/.well-known/openid-configuration/api",
        "/api/.well-known/oauth-authorization-server",
        "/api/.well-known/openid-configuration",
    ] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, 200, "{path}");
        let document = reply.json();
        assert_eq!(document["issuer"], issuer, "{path}");
        assert_eq!(document["token_endpoint"], format!("{issuer}/oauth/token"));
        assert_eq!(
            document["registration_endpoint"],
            format!("{issuer}/oauth/register")
        );
        assert_eq!(
            document["code_challenge_methods_supported"],
            json!(["S256"])
        );
        assert_eq!(document["response_types_supported"], json!(["code"]));
        assert_eq!(
            document["authorization_response_iss_parameter_supported"],
            true
        );
        assert_eq!(document["client_id_metadata_document_supported"], true);
        assert_eq!(
            document["token_endpoint_auth_methods_supported"],
            json!([
                "none",
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ]),
            "metadata-document clients may sign assertions"
        );
    }
    let resource = server
        .get("/.well-known/oauth-protected-resource/api/mcp")
        .await
        .json();
    assert_eq!(resource["authorization_servers"], json!([issuer]));
    assert_eq!(resource["resource"], server.url("/api/mcp"));
    let jwks = server.get("/api/.well-known/jwks.json").await.json();
    assert_eq!(jwks, json!({"keys": []}), "an HS256 key is never published");
}

#[tokio::test]
async fn the_jwks_publishes_the_asymmetric_signing_key() {
    let definition = frontmcp_auth::ServerDefinition::new("Es")
        .with_base(json!({"auth": {"mode": "local"}}))
        .app::<common::apps::MathApp>("math");
    let server = Local::start_definition(&definition, &[]).await;
    let (_, tokens) = server.tokens().await;
    let jwks = server.get("/.well-known/jwks.json").await.json();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "EC");
    assert!(key.get("d").is_none());
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(
                tokens["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .split('.')
                    .next()
                    .unwrap_or_default(),
            )
            .expect("b64"),
    )
    .expect("header");
    assert_eq!(header["kid"], key["kid"]);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "at+jwt");
}

#[tokio::test]
async fn registration_follows_the_dcr_options() {
    let server = Local::start(json!({})).await;
    let refused = server
        .register(json!({"redirect_uris": ["https://app.example.com/cb"]}))
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["error"],
        "invalid_redirect_uri",
        "only loopback without an allowlist"
    );
    for bad in [
        json!({}),
        json!({"redirect_uris": ["javascript:alert(1)"]}),
        json!({"redirect_uris": ["http://127.0.0.1/cb#frag"]}),
        json!({"redirect_uris": ["http://127.0.0.1/caf\u{e9}"]}),
        json!({"redirect_uris": ["http://127.0.0.1/a\r\nSet-Cookie: x=1"]}),
    ] {
        assert_eq!(
            server.register(bad.clone()).await.json()["error"],
            "invalid_redirect_uri",
            "{bad}"
        );
    }
    let bad_metadata = server
        .register(json!({"redirect_uris": [REDIRECT], "grant_types": ["password"]}))
        .await;
    assert_eq!(bad_metadata.json()["error"], "invalid_client_metadata");
    assert_eq!(
        server
            .post_json("/oauth/register", json!([1]), &[])
            .await
            .json()["error"],
        "invalid_client_metadata"
    );

    let allowlisted = Local::start(json!({"dcr": {
        "allowed_redirect_uris": ["https://*.example.com/callback"],
        "initial_access_token": "registration-token-123",
        "max_dynamic_clients": 1,
    }}))
    .await;
    let metadata = json!({"redirect_uris": ["https://app.example.com/callback"]});
    let without = allowlisted.register(metadata.clone()).await;
    assert_eq!(without.status, 401);
    assert_eq!(without.json()["error"], "invalid_token");
    let auth = [("authorization", "Bearer registration-token-123")];
    let outside = allowlisted
        .post_json(
            "/oauth/register",
            json!({"redirect_uris": ["https://evil.com/callback"]}),
            &auth,
        )
        .await;
    assert_eq!(outside.json()["error"], "invalid_redirect_uri");
    let ok = allowlisted
        .post_json("/oauth/register", metadata.clone(), &auth)
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(
        ok.json()["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    assert!(
        ok.json()["client_secret"]
            .as_str()
            .is_some_and(|s| s.len() >= 43)
    );
    let full = allowlisted
        .post_json("/oauth/register", metadata, &auth)
        .await;
    assert_eq!(full.status, 403, "max_dynamic_clients");
    assert!(full.text.contains("limit"), "{}", full.text);

    let disabled = Local::start(json!({"dcr": {"enabled": false}})).await;
    assert_eq!(
        disabled
            .register(json!({"redirect_uris": [REDIRECT]}))
            .await
            .status,
        403
    );
    assert!(
        disabled
            .get("/.well-known/oauth-authorization-server")
            .await
            .json()
            .get("registration_endpoint")
            .is_none()
    );
}

#[tokio::test]
async fn confidential_clients_authenticate_with_basic_or_post() {
    let server = Local::start(json!({})).await;
    let registered = server
        .register(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"}))
        .await
        .json();
    let id = registered["client_id"].as_str().expect("id").to_owned();
    let secret = registered["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();

    for (how, attempt) in [("basic", 0), ("post", 1), ("none", 2), ("wrong", 3)] {
        let page = server.authorize(&id, &[]).await;
        let code = server
            .login(&page, "ada@example.com")
            .await
            .location_param("code")
            .expect("code");
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        let mut headers = Vec::new();
        let header_value;
        match attempt {
            0 => {
                header_value = basic(&id, &secret);
                headers.push(("authorization", header_value.as_str()));
            }
            1 => {
                pairs.push(("client_id", &id));
                pairs.push(("client_secret", &secret));
            }
            2 => pairs.push(("client_id", &id)),
            _ => {
                header_value = basic(&id, "wrong-secret");
                headers.push(("authorization", header_value.as_str()));
            }
        }
        let reply = server
            .post_form("/oauth/token", form(&pairs), &headers)
            .await;
        if attempt < 2 {
            assert_eq!(reply.status, 200, "{how}: {}", reply.text);
            assert_eq!(reply.header("cache-control"), Some("no-store"));
        } else {
            assert_eq!(reply.status, 401, "{how}");
            assert_eq!(reply.json()["error"], "invalid_client");
        }
        if attempt == 3 {
            assert!(
                reply
                    .header("www-authenticate")
                    .unwrap_or_default()
                    .starts_with("Basic")
            );
        }
    }
}

#[tokio::test]
async fn pre_registered_clients_need_no_registration() {
    let server = Local::start(json!({"dcr": {"clients": [
        {"client_id": "desktop-app", "name": "Desktop", "redirect_uris": [REDIRECT]},
    ]}}))
    .await;
    let page = server.authorize("desktop-app", &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Desktop"));
    let code = server
        .login(&page, "ada@example.com")
        .await
        .location_param("code")
        .expect("code");
    assert_eq!(
        server.exchange("desktop-app", &code, VERIFIER).await.status,
        200
    );
}

#[tokio::test]
async fn unregistered_clients_pass_only_when_allowed() {
    let open = Local::start(json!({"require_registered_clients": false})).await;
    let page = open.authorize("any-client", &[]).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let code = open
        .login(&page, "ada@example.com")
        .await
        .location_param("code")
        .expect("code");
    assert_eq!(
        open.exchange("any-client", &code, VERIFIER).await.status,
        200
    );
    let remote = open
        .authorize("any-client", &[("redirect_uri", "https://evil.example/cb")])
        .await;
    assert_eq!(remote.status, 400, "loopback only without an allowlist");
}

#[tokio::test]
async fn the_token_endpoint_answers_with_rfc_errors() {
    let server = Local::start(json!({})).await;
    let (client_id, code) = server.code().await;
    let cases: Vec<(String, &str)> = vec![
        (
            form(&[("grant_type", "password"), ("client_id", &client_id)]),
            "unsupported_grant_type",
        ),
        (form(&[("client_id", &client_id)]), "invalid_request"),
        (
            form(&[
                ("grant_type", "authorization_code"),
                ("grant_type", "authorization_code"),
            ]),
            "invalid_request",
        ),
        (
            form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "mcp_unknown"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ]),
            "invalid_client",
        ),
        (
            form(&[
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("code", "not-a-code"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ]),
            "invalid_grant",
        ),
        (
            form(&[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", "nope"),
            ]),
            "invalid_grant",
        ),
    ];
    for (body, code) in cases {
        let reply = server.post_form("/oauth/token", body.clone(), &[]).await;
        assert_eq!(reply.json()["error"], code, "{body}");
        assert!(reply.json()["error_description"].is_string());
        assert!(reply.status == 400 || reply.status == 401);
    }
    let json_body = server
        .post_json(
            "/oauth/token",
            json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER, "client_id": client_id}),
            &[],
        )
        .await;
    assert_eq!(json_body.status, 400, "{}", json_body.text);
    assert_eq!(
        json_body.json()["error"],
        "invalid_request",
        "the token endpoint takes forms only (RFC 6749 §3.2)"
    );
    let form_body = server.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(form_body.status, 200, "{}", form_body.text);
    let tokens = form_body.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "profile email");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    // A refresh with one more parameter.
    let refresh_with = |name: &'static str, value: String| {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", refresh),
            (name, &value),
        ]);
        server.post_form("/oauth/token", body, &[])
    };
    let widened = refresh_with("scope", String::from("profile admin")).await;
    assert_eq!(widened.json()["error"], "invalid_scope");
    let elsewhere = refresh_with("resource", String::from("https://other.example.com/mcp")).await;
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.text);
    assert_eq!(
        elsewhere.json()["error"],
        "invalid_target",
        "a refresh keeps the granted resource (RFC 8707)"
    );
    let same = refresh_with("resource", server.url("/mcp")).await;
    assert_eq!(
        same.status, 200,
        "naming the granted resource: {}",
        same.text
    );
    let oversized = server
        .post_form("/oauth/token", "a=".to_owned() + &"x".repeat(70_000), &[])
        .await;
    assert_eq!(oversized.status, 400);
    assert_eq!(oversized.json()["error"], "invalid_request");
}

#[tokio::test]
async fn access_tokens_carry_the_documented_claims() {
    let server = Local::start(json!({})).await;
    let (client_id, tokens) = server.tokens().await;
    let payload = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .split('.')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("b64"),
    )
    .expect("claims");
    assert_eq!(claims["iss"], server.base());
    assert_eq!(claims["aud"], server.url("/mcp"));
    assert_eq!(claims["sub"], "ada@example.com");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["name"], "Ada");
    assert_eq!(claims["client_id"], client_id);
    assert_eq!(claims["scope"], "profile email");
    assert_eq!(
        claims["exp"].as_u64(),
        claims["iat"].as_u64().map(|iat| iat + 3600)
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
}

#[tokio::test]
async fn allow_default_public_lets_tokenless_requests_in_as_anonymous() {
    let closed = Local::start(json!({})).await;
    let mut client = common::mcp::Client::new(closed.url("/mcp"));
    assert_eq!(client.initialize().await.status, 401);

    let open = Local::start(json!({"allow_default_public": true})).await;
    let mut client = common::mcp::Client::new(open.url("/mcp"));
    assert_eq!(client.initialize().await.status, 200);
    let who = client.call("whoami", json!({})).await;
    assert!(
        common::mcp::text_of(&who).starts_with("anon:"),
        "{}",
        who.text
    );
    let (_, tokens) = open.tokens().await;
    let mut signed_in = common::mcp::Client::new(open.url("/mcp"))
        .with_token(tokens["access_token"].as_str().unwrap_or_default());
    signed_in.initialize().await;
    let who = signed_in.call("whoami", json!({})).await;
    assert!(
        common::mcp::text_of(&who).starts_with("ada@example.com"),
        "{}",
        who.text
    );
}

#[tokio::test]
async fn the_login_form_follows_require_email_and_anonymous_subject() {
    let server = Local::start(json!({})).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    let retry = server.login(&page, "").await;
    assert_eq!(retry.status, 400);
    assert!(retry.text.contains("an email address is required"));
    assert!(
        retry.text.contains("Test client"),
        "the form shown again names the client"
    );
    let bad = server.login(&page, "not-an-email").await;
    assert!(bad.text.contains("not a valid email address"));
    assert_eq!(
        server.login(&page, "ada@example.com").await.status,
        302,
        "the same pending request still works"
    );

    let operator =
        Local::start(json!({"require_email": false, "anonymous_subject": "operator"})).await;
    let (client_id, code) = {
        let client_id = operator.public_client().await;
        let page = operator.authorize(&client_id, &[]).await;
        assert!(
            !page.text.contains(" required>"),
            "the email field is optional"
        );
        let done = operator.login(&page, "").await;
        (client_id, done.location_param("code").expect("code"))
    };
    let tokens = operator.exchange(&client_id, &code, VERIFIER).await.json();
    let mut client = common::mcp::Client::new(operator.url("/mcp"))
        .with_token(tokens["access_token"].as_str().unwrap_or_default());
    client.initialize().await;
    assert!(common::mcp::text_of(&client.call("whoami", json!({})).await).starts_with("operator"));
}

#[tokio::test]
async fn callback_errors_are_pages_never_500() {
    let server = Local::start(json!({})).await;
    let missing = server
        .post_form("/oauth/callback", form(&[("email", "a@b.co")]), &[])
        .await;
    assert_eq!(missing.status, 400);
    assert!(missing.text.contains("pending_auth_id"));
    let unknown = server
        .get("/oauth/callback?pending_auth_id=unknown123")
        .await;
    assert_eq!(unknown.status, 400);
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    let body = form(&[
        ("pending_auth_id", &page.field("pending_auth_id")),
        ("csrf_token", &page.field("csrf_token")),
        ("email", "a@b.co"),
        ("providers", "github"),
    ]);
    let provider = server
        .post_form("/oauth/callback", body, &[("cookie", &page.cookies())])
        .await;
    assert_eq!(provider.status, 400);
    assert!(provider.text.contains("invalid provider selection"));
    let huge = server
        .post_form(
            "/oauth/callback",
            "x=".to_owned() + &"y".repeat(100_000),
            &[],
        )
        .await;
    assert!(huge.status == 413 || huge.status == 400, "{}", huge.status);
    let missing_client = server.get("/oauth/authorize?response_type=code").await;
    assert_eq!(missing_client.status, 400);
    assert_eq!(CHALLENGE.len(), 43);
}
