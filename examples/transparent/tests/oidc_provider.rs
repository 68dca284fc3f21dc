//! Transparent mode against a real OpenID provider (node `oidc-provider` on 127.0.0.1) that
//! issues RS256 and ES256 JWT access tokens for a chosen audience.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontmcp_auth::Clock;
use frontmcp_auth::guard::{Rejection, TokenVerifier};
use frontmcp_auth::upstream::TransparentVerifier;
use frontmcp_auth_testkit::{ExampleServer, Process, run_node, start_node};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_example-transparent");
const ES256_AUDIENCE: &str = "http://mcp.test/es256";
const RS256_AUDIENCE: &str = "http://mcp.test/rs256";

struct Idp {
    _process: Process,
    issuer: String,
}

fn start_idp() -> Idp {
    let process = start_node("idp.mjs", &[], "ISSUER ");
    let issuer = process.line.trim_start_matches("ISSUER ").trim().to_owned();
    Idp {
        _process: process,
        issuer,
    }
}

async fn token(idp: &Idp, resource: &str, scope: &str) -> String {
    let response: Value = reqwest::Client::new()
        .post(format!("{}/token", idp.issuer))
        .basic_auth("mcp-tests", Some("mcp-tests-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", resource),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("json");
    response["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {response}"))
        .to_owned()
}

fn header_of(token: &str) -> Value {
    let head = token.split('.').next().unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).expect("base64")).expect("json")
}

fn with_header(token: &str, header: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[0] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).expect("json"));
    parts.join(".")
}

fn verifier(idp: &Idp, clock: Clock) -> TransparentVerifier {
    let audiences = vec![ES256_AUDIENCE.to_owned(), RS256_AUDIENCE.to_owned()];
    TransparentVerifier::discovering(&idp.issuer, audiences, clock)
}

async fn refused(verifier: &TransparentVerifier, token: &str) -> String {
    match verifier.verify(token).await {
        Err(Rejection::InvalidToken { description }) => description,
        other => panic!("expected invalid_token, got {other:?}"),
    }
}

#[tokio::test]
async fn real_provider_tokens_verify_and_every_forgery_is_refused() {
    let idp = start_idp();
    let clock = Clock::manual(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    let verifier = verifier(&idp, clock.clone());

    let es = token(&idp, ES256_AUDIENCE, "mcp:read mcp:write").await;
    let rs = token(&idp, RS256_AUDIENCE, "mcp:read").await;
    assert_eq!(header_of(&es)["alg"], "ES256");
    assert_eq!(header_of(&rs)["alg"], "RS256");
    let context = verifier.verify(&es).await.expect("ES256 token");
    assert_eq!(context.subject, "mcp-tests");
    assert_eq!(context.scopes, ["mcp:read", "mcp:write"]);
    verifier.verify(&rs).await.expect("RS256 token");

    let other = token(&idp, "http://other.test/api", "mcp:read").await;
    assert_eq!(
        refused(&verifier, &other).await,
        "the token is for another audience"
    );

    let foreign_issuer = TransparentVerifier::new(
        verifier.keys().clone(),
        vec!["https://someone-else.example.com".to_owned()],
        vec![ES256_AUDIENCE.to_owned()],
    );
    assert_eq!(
        refused(&foreign_issuer, &es).await,
        "the token is from another issuer"
    );

    let mut none = header_of(&es);
    none["alg"] = json!("none");
    let unsigned = with_header(&es, &none);
    let unsigned = format!("{}.", unsigned.rsplit_once('.').map_or("", |(h, _)| h));
    assert_eq!(
        refused(&verifier, &unsigned).await,
        "the token is not a well-formed JWT"
    );

    let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer))
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    let jwks: Value = reqwest::get(discovery["jwks_uri"].as_str().expect("jwks_uri"))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let public_key = serde_json::to_vec(&jwks["keys"][0]).expect("key");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(es.split('.').nth(1).expect("claims"))
            .expect("base64"),
    )
    .expect("json");
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = header_of(&es)["kid"].as_str().map(str::to_owned);
    let hs256 = jsonwebtoken::encode(
        &hs_header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&public_key),
    )
    .expect("sign");
    assert_eq!(
        refused(&verifier, &hs256).await,
        "symmetric algorithms are not accepted"
    );

    let (head, signature) = es.rsplit_once('.').expect("jwt");
    let flipped: String = signature
        .char_indices()
        .map(|(i, c)| {
            if i == 10 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    assert_eq!(
        refused(&verifier, &format!("{head}.{flipped}")).await,
        "the signature does not verify"
    );

    let fetches_before = verifier.keys().fetch_count();
    let mut unknown = header_of(&es);
    unknown["kid"] = json!("no-such-key");
    let forged = with_header(&es, &unknown);
    for _ in 0..10 {
        assert_eq!(
            refused(&verifier, &forged).await,
            "the token is signed with an unknown key"
        );
    }
    assert_eq!(
        verifier.keys().fetch_count(),
        fetches_before + 1,
        "one JWKS refetch for the unknown kid, not one per request"
    );

    clock.advance(600 + 61);
    assert_eq!(refused(&verifier, &es).await, "the token has expired");
}

#[tokio::test]
async fn the_example_server_answers_200_401_and_403_the_mcp_way() {
    let idp = start_idp();
    let audiences = format!("{ES256_AUDIENCE},{RS256_AUDIENCE}");
    let server = ExampleServer::start(
        BINARY,
        &[
            ("IDP_PROVIDER_URL", &idp.issuer),
            ("IDP_EXPECTED_AUDIENCE", &audiences),
        ],
    );

    for (audience, alg) in [(ES256_AUDIENCE, "ES256"), (RS256_AUDIENCE, "RS256")] {
        let access = token(&idp, audience, "mcp:read").await;
        let run = run_node(
            "sdk-client.mjs",
            &[&server.mcp_url, "--token", &access, "--call", "profile"],
            Duration::from_secs(60),
        );
        assert!(run.success, "{}", run.stderr);
        let report = run.report();
        assert_eq!(report["tools"], json!(["profile"]), "{alg}: {report}");
        assert_eq!(
            report["calls"][0]["text"], "subject=mcp-tests client=mcp-tests scopes=mcp:read",
            "{alg}"
        );
    }

    let http = reqwest::Client::new();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let post = |token: Option<String>| {
        let mut request = http
            .post(&server.mcp_url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let metadata = format!(
        "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        server.base_url()
    );

    let bare = post(None).await.expect("send");
    assert_eq!(bare.status(), 401);
    assert_eq!(
        bare.headers()["www-authenticate"].to_str().ok(),
        Some(format!("Bearer {metadata}, scope=\"mcp:read\"").as_str()),
        "the challenge names the scopes every token needs"
    );

    let wrong_audience = post(Some(token(&idp, "http://other.test/api", "mcp:read").await))
        .await
        .expect("send");
    assert_eq!(wrong_audience.status(), 401);
    let challenge = wrong_audience.headers()["www-authenticate"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    assert!(challenge.ends_with(&metadata), "{challenge}");

    let no_scope = post(Some(token(&idp, ES256_AUDIENCE, "profile").await))
        .await
        .expect("send");
    assert_eq!(no_scope.status(), 403);
    let challenge = no_scope.headers()["www-authenticate"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"mcp:read\""),
        "{challenge}"
    );

    let document: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        server.base_url()
    ))
    .await
    .expect("get")
    .json()
    .await
    .expect("json");
    assert_eq!(document["authorization_servers"], json!([idp.issuer]));
    assert_eq!(document["resource"], server.mcp_url.as_str());
}
