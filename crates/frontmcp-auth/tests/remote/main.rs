//! Remote mode against a real OpenID provider (node `oidc-provider` on loopback, with a login
//! page this test fills in): the whole sign-in, every refusal of the upstream callback, the
//! vault's upstream refresh (once under concurrency, once across instances on one Redis),
//! upstream `invalid_grant`, revocation, and no upstream token anywhere it must not be.

#[path = "../common/mod.rs"]
mod common;
mod policy;

use std::sync::OnceLock;

use common::Captured;
use common::local::{Local, REDIRECT, claims_of, form};
use common::mcp::{Client, text_of};
use common::remote::{self, Browser, Idp, SignIn, tokens};
use frontmcp_auth::Clock;
use frontmcp_auth::logging::JsonLines;
use serde_json::{Value, json};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

/// Every log line of this binary at `trace`, for the test that looks for upstream tokens.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        // No redaction: an upstream token must never reach a log event in the first place.
        let layer = JsonLines::new(&[], captured.clone())
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
        captured
    })
}

fn query(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn with_query(url: &url::Url, name: &str, value: &str) -> url::Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut next = url.clone();
    next.query_pairs_mut().clear().extend_pairs(pairs);
    next
}

/// A remote-mode server whose access tokens outlive the provider's (the upstream refresh is
/// then what expiry forces).
async fn server(idp: &Idp) -> Local {
    logs();
    remote::start(&idp.issuer, json!({"refresh": {"access_token_ttl": 86400}})).await
}

async fn mcp(local: &Local, token: &str) -> Client {
    let mut client = Client::new(local.url("/mcp")).with_token(token);
    assert_eq!(client.initialize().await.status, 200);
    client
}

#[tokio::test]
async fn a_user_signs_in_at_the_provider_and_a_tool_calls_its_api_with_the_upstream_token() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let (_, tokens) = tokens(&local, "ada").await;
    let access = tokens["access_token"].as_str().expect("access token");
    let claims = claims_of(access);
    assert_eq!(claims["sub"], "ada");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["idp"], "default");
    assert_eq!(claims["iss"], local.base());

    let mut client = mcp(&local, access).await;
    let answer = client
        .call(
            "upstream_profile",
            json!({"url": format!("{}/me", idp.issuer)}),
        )
        .await;
    let text = text_of(&answer);
    assert!(text.starts_with("200 "), "{text}");
    let profile: Value = serde_json::from_str(&text[4..]).expect("userinfo");
    assert_eq!(profile["sub"], "ada");
    assert_eq!(profile["email"], "ada@example.com");
    assert_eq!(idp.stats().await["authorization_code"], 1);

    // Our refresh grant never calls the provider.
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let client_id = claims["client_id"].as_str().expect("client id");
    let refreshed = local.refresh(client_id, refresh).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(idp.stats().await["refresh_token"], 0);
    let next = refreshed.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let mut client = mcp(&local, &next).await;
    let text = text_of(&client.call("upstream_token_state", json!({})).await);
    assert!(text.starts_with("ok "), "{text}");
}

#[tokio::test]
async fn a_state_that_does_not_match_is_a_400_page_and_the_real_answer_still_works() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("ada").await;
    let state = query(&callback, "state");
    let (id, secret) = state.split_once('.').expect("state format");
    let forged_secret: String = secret
        .chars()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .collect();
    let forged = with_query(&callback, "state", &format!("{id}.{forged_secret}"));
    let page = sign_in.finish(&forged).await;
    assert_eq!(page.status, 400, "{}", page.text);
    assert!(page.text.contains("state mismatch"), "{}", page.text);
    assert!(page.header("location").is_none());

    let unknown = with_query(&callback, "state", &format!("unknown.{secret}"));
    let page = sign_in.finish(&unknown).await;
    assert_eq!(page.status, 400, "{}", page.text);

    let done = sign_in.finish(&callback).await;
    assert_eq!(done.status, 302, "{}", done.text);
    assert!(done.location_param("code").is_some());
}

#[tokio::test]
async fn a_replayed_upstream_callback_is_a_400_page() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("ada").await;
    let done = sign_in.finish(&callback).await;
    assert_eq!(done.status, 302, "{}", done.text);
    let again = sign_in.finish(&callback).await;
    assert_eq!(again.status, 400, "{}", again.text);
    assert!(again.header("location").is_none());
    assert_eq!(idp.stats().await["authorization_code"], 1);
}

#[tokio::test]
async fn an_upstream_callback_in_another_browser_is_refused() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("ada").await;
    // The victim's browser has no cookie of a sign-in the attacker started.
    let page = Browser::default().fetch("GET", &callback, None).await;
    assert_eq!(page.status, 400, "{}", page.text);
    assert!(page.text.contains("another browser"), "{}", page.text);
    assert_eq!(idp.stats().await["authorization_code"], 0);
}

#[tokio::test]
async fn upstream_access_denied_goes_back_to_the_client_as_access_denied() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in
        .browser
        .upstream_round(sign_in.upstream.clone(), "ada", false)
        .await;
    assert_eq!(query(&callback, "error"), "access_denied");
    let done = sign_in.finish(&callback).await;
    assert_eq!(done.status, 302, "{}", done.text);
    let location = done.header("location").expect("location");
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(
        done.location_param("error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        done.location_param("state").as_deref(),
        Some("client-state-123")
    );
    assert_eq!(done.location_param("iss"), Some(local.base()));
    assert!(done.location_param("code").is_none());
}

#[tokio::test]
async fn an_unreachable_provider_is_a_503_page_never_a_redirect() {
    let port = frontmcp_auth_testkit::free_port();
    let local = remote::start(&format!("http://127.0.0.1:{port}"), json!({})).await;
    let client_id = local.public_client().await;
    let page = local.authorize(&client_id, &[]).await;
    assert_eq!(page.status, 503, "{}", page.text);
    assert!(page.header("location").is_none());
    assert!(
        page.text.contains("Identity provider unavailable"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn an_expired_pending_authorization_is_a_400_page() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("ada").await;
    local.clock.advance(601);
    let page = sign_in.finish(&callback).await;
    assert_eq!(page.status, 400, "{}", page.text);
    assert!(page.text.contains("expired"), "{}", page.text);
    assert_eq!(idp.stats().await["authorization_code"], 0);
}

#[tokio::test]
async fn a_malformed_upstream_callback_gets_a_4xx_page() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    for query in [
        "",
        "state=x",
        "code=abc",
        "state=a.b&state=a.b&code=c",
        "state=%00%01&code=c",
        &format!("state={}&code=c", "s".repeat(9_000)),
    ] {
        let reply = local
            .get(&format!("/oauth/provider/default/callback?{query}"))
            .await;
        assert!(
            (400..500).contains(&reply.status),
            "{query:.40}: {} {}",
            reply.status,
            reply.text
        );
    }
    // Another provider's callback path is not served.
    let other = local.get("/oauth/provider/other/callback?state=a").await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn the_upstream_token_is_refreshed_once_by_20_concurrent_tool_calls() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let (_, tokens) = tokens(&local, "ada").await;
    let access = tokens["access_token"].as_str().expect("access");
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(mcp(&local, access).await);
    }
    // Within skew_seconds (60) of the upstream expiry.
    local.clock.advance(3600 - 30);
    let calls = clients.iter_mut().map(|client| async move {
        text_of(&client.call("upstream_token_state", json!({})).await)
    });
    let answers = futures::future::join_all(calls).await;
    for text in &answers {
        assert!(text.starts_with("ok "), "{text}");
    }
    assert_eq!(idp.stats().await["refresh_token"], 1, "{answers:?}");
    let first: Vec<&String> = answers.iter().collect();
    assert!(first.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
}

#[tokio::test]
async fn three_instances_on_one_redis_refresh_the_upstream_token_once() {
    logs();
    let idp = Idp::start(3600);
    let redis = frontmcp_auth_testkit::RedisServer::start();
    let clock = Clock::manual(remote::now());
    // One public URL for the three, as behind a load balancer.
    let definition = remote::definition_with(
        &idp.issuer,
        json!({"refresh": {"access_token_ttl": 86400}}),
        json!({"http": {"public_url": "http://127.0.0.1"}}),
    );
    let mut instances = Vec::new();
    for _ in 0..3 {
        let store = common::redis_store(&redis, "remote:", clock.clone());
        instances.push(Local::start_with_store(&definition, &[], clock.clone(), store).await);
    }
    let (_, tokens) = tokens(&instances[0], "ada").await;
    let access = tokens["access_token"].as_str().expect("access");
    let mut clients = Vec::new();
    for instance in &instances {
        for _ in 0..5 {
            clients.push(mcp(instance, access).await);
        }
    }
    clock.advance(3600 - 30);
    let calls = clients.iter_mut().map(|client| async move {
        text_of(&client.call("upstream_token_state", json!({})).await)
    });
    let answers = futures::future::join_all(calls).await;
    for text in &answers {
        assert!(text.starts_with("ok "), "{text}");
    }
    assert_eq!(idp.stats().await["refresh_token"], 1, "{answers:?}");
}

#[tokio::test]
async fn upstream_invalid_grant_ends_only_that_session() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let (client_id, ada) = tokens(&local, "ada").await;
    let access = ada["access_token"].as_str().expect("access");
    let mut client = mcp(&local, access).await;
    idp.end_grants().await;
    let (_, bob) = tokens(&local, "bob").await;
    let bob_access = bob["access_token"].as_str().expect("access");
    let mut bob_client = mcp(&local, bob_access).await;

    local.clock.advance(3600 - 30);
    let text = text_of(&client.call("upstream_token_state", json!({})).await);
    assert!(text.contains("the upstream session has ended"), "{text}");
    // Our session ended with it: the access token and the refresh token are dead.
    assert_eq!(local.mcp_status(access).await, 401);
    let refresh = ada["refresh_token"].as_str().expect("refresh");
    let refused = local.refresh(&client_id, refresh).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.json()["error"], "invalid_grant");
    // Bob's grant came after: his session goes on.
    let text = text_of(&bob_client.call("upstream_token_state", json!({})).await);
    assert!(text.starts_with("ok "), "{text}");
}

#[tokio::test]
async fn revoking_our_refresh_token_revokes_the_upstream_one() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let (client_id, tokens) = tokens(&local, "ada").await;
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let reply = local
        .post_form(
            "/oauth/revoke",
            form(&[
                ("token", refresh),
                ("token_type_hint", "refresh_token"),
                ("client_id", &client_id),
            ]),
            &[],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(idp.stats().await["revocations"], 1);
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(local.mcp_status(access).await, 401);
}

#[tokio::test]
async fn no_upstream_token_in_any_log_line_response_or_our_jwt() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let mut seen = Vec::new();
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("ada").await;
    let done = sign_in.finish(&callback).await;
    seen.push(format!("{:?} {}", done.headers, done.text));
    let code = done.location_param("code").expect("code");
    let reply = local
        .exchange(&sign_in.client_id, &code, common::local::VERIFIER)
        .await;
    seen.push(reply.text.clone());
    let tokens = reply.json();
    let access = tokens["access_token"].as_str().expect("access");
    seen.push(claims_of(access).to_string());
    let mut client = mcp(&local, access).await;
    local.clock.advance(3600 - 30);
    let answer = client.call("upstream_token_state", json!({})).await;
    seen.push(answer.text.clone());
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let refreshed = local.refresh(&sign_in.client_id, refresh).await;
    seen.push(refreshed.text.clone());
    seen.push(claims_of(refreshed.json()["access_token"].as_str().expect("access")).to_string());
    let introspected = local
        .post_form(
            "/oauth/userinfo",
            String::new(),
            &[("authorization", &format!("Bearer {access}"))],
        )
        .await;
    seen.push(introspected.text);

    let issued = idp.issued().await;
    assert!(issued.len() >= 4, "{issued:?}");
    assert_eq!(idp.stats().await["refresh_token"], 1);
    let log = logs().text();
    assert!(log.contains("upstream.refresh"), "the refresh was logged");
    for token in &issued {
        assert!(
            !log.contains(token.as_str()),
            "an upstream token in the logs"
        );
        for text in &seen {
            assert!(
                !text.contains(token.as_str()),
                "an upstream token in {text}"
            );
        }
    }
}

#[tokio::test]
async fn the_consent_page_follows_the_upstream_sign_in() {
    let idp = Idp::start(3600);
    logs();
    let local = remote::start(&idp.issuer, json!({"consent": {"enabled": true}})).await;
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("ada").await;
    let page = sign_in.finish(&callback).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("upstream_profile"), "{}", page.text);
    let pending = page.field("pending_auth_id");
    let csrf = page.field("csrf_token");
    let pairs = [
        ("pending_auth_id", pending.as_str()),
        ("csrf_token", csrf.as_str()),
        ("decision", "allow"),
        ("tool", "upstream_token_state"),
    ];
    let done = local
        .post_form(
            "/oauth/consent",
            form(&pairs),
            &[("cookie", &page.cookies())],
        )
        .await;
    assert_eq!(done.status, 302, "{}", done.text);
    assert!(done.location_param("code").is_some(), "{:?}", done.headers);
}
