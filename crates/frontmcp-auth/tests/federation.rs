//! Federation against two real OpenID providers (two `oidc-provider` instances standing in for
//! GitHub and Slack): the login links both and tools read each provider's token; the gate
//! (`min_providers`, `required_providers`) mints nothing until it opens; `state_validation`;
//! forged, replayed and misdirected provider callbacks; the refresh of a provider token under
//! concurrency; and linking later through the connect page, by the right user only.

mod common;

use common::federation::{
    Federated, link, login_page, submit_login, tokens, upstream_of, walk_to_page,
};
use common::local::{Reply, VERIFIER, claims_of};
use common::mcp::{Answer, Client, text_of};
use common::remote::Browser;
use serde_json::{Value, json};
use url::Url;

async fn mcp(fed: &Federated, token: &str) -> Client {
    let mut client = Client::new(fed.local.url("/mcp")).with_token(token);
    assert_eq!(client.initialize().await.status, 200);
    client
}

async fn profile(client: &mut Client, fed: &Federated, provider: &str) -> Answer {
    client
        .call(
            "provider_profile",
            json!({"provider": provider, "url": format!("{}/me", fed.idp(provider).issuer)}),
        )
        .await
}

fn userinfo(text: &str) -> Value {
    assert!(text.starts_with("200 "), "{text}");
    serde_json::from_str(&text[4..]).expect("userinfo")
}

/// The `state` of a provider callback URL, and the URL with it replaced by `state`.
fn with_state(url: &Url, state: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                state.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// A fresh browser's login as `user` choosing `choice`: our answer.
async fn choose(fed: &Federated, client_id: &str, user: &str, choice: &[(&str, &str)]) -> Reply {
    let (browser, _, page) = login_page(&fed.local, client_id).await;
    submit_login(&fed.local, &browser, &page, user, choice).await
}

/// A login of Ada linking GitHub and refusing at Slack: our answer to Slack's refusal.
async fn refuse_at_slack(fed: &Federated, client_id: &str) -> Reply {
    let (browser, _, page) = login_page(&fed.local, client_id).await;
    let first = submit_login(&fed.local, &browser, &page, "ada", &[]).await;
    let second = link(&browser, upstream_of(&first), "ada").await;
    let callback = browser
        .upstream_round(upstream_of(&second), "ada", false)
        .await;
    browser.fetch("GET", &callback, None).await
}

/// Asserts a 4xx page whose text contains `needle`.
fn assert_page(reply: &Reply, status: u16, needle: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(reply.text.contains(needle), "{needle}: {}", reply.text);
    assert!(reply.header("location").is_none());
}

fn state_of(url: &Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state")
}

#[tokio::test]
async fn login_links_both_providers_and_tools_read_each_token_across_a_refresh() {
    let fed = Federated::start(3600, json!({})).await;
    let client_id = fed.local.public_client().await;
    let (browser, _, page) = login_page(&fed.local, &client_id).await;
    // The page lists the providers to link.
    assert!(page.text.contains("Accounts to link"), "{}", page.text);
    assert!(page.text.contains("GitHub") && page.text.contains("Slack"));
    let first = submit_login(&fed.local, &browser, &page, "ada", &[]).await;
    let at_github = upstream_of(&first);
    assert!(
        at_github.as_str().starts_with(&fed.github.issuer),
        "{at_github}"
    );
    let second = link(&browser, at_github, "ada").await;
    let at_slack = upstream_of(&second);
    assert!(
        at_slack.as_str().starts_with(&fed.slack.issuer),
        "{at_slack}"
    );
    // At Slack the user is another account of their own: links are per provider.
    let done = link(&browser, at_slack, "bob").await;
    assert_eq!(done.status, 302, "{}", done.text);
    let code = done.location_param("code").expect("code");
    assert_eq!(
        done.location_param("state").as_deref(),
        Some("client-state-123")
    );
    let reply = fed.local.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let tokens = reply.json();
    let access = tokens["access_token"].as_str().expect("access");
    // The local user is the subject; no provider's token is in ours.
    assert_eq!(claims_of(access)["sub"], "ada");
    let issued: Vec<String> = [fed.github.issued().await, fed.slack.issued().await].concat();
    for value in &issued {
        assert!(
            !reply.text.contains(value.as_str()),
            "an upstream token leaked"
        );
    }
    let mut client = mcp(&fed, access).await;
    assert_eq!(
        userinfo(&text_of(&profile(&mut client, &fed, "github").await))["sub"],
        "ada"
    );
    assert_eq!(
        userinfo(&text_of(&profile(&mut client, &fed, "slack").await))["sub"],
        "bob"
    );
    assert_eq!(
        text_of(&client.call("linked_providers", json!({})).await),
        "github,slack"
    );
    // Our refresh keeps both links.
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let refreshed = fed.local.refresh(&client_id, refresh).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let next = refreshed.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let mut client = mcp(&fed, &next).await;
    assert_eq!(
        userinfo(&text_of(&profile(&mut client, &fed, "github").await))["sub"],
        "ada"
    );
    assert_eq!(
        userinfo(&text_of(&profile(&mut client, &fed, "slack").await))["sub"],
        "bob"
    );
    assert_eq!(fed.github.stats().await["authorization_code"], 1);
    assert_eq!(fed.slack.stats().await["authorization_code"], 1);
}

#[tokio::test]
async fn min_providers_two_with_one_linked_mints_nothing_and_says_why() {
    let fed = Federated::start(3600, json!({"federated_auth": {"min_providers": 2}})).await;
    let client_id = fed.local.public_client().await;
    let (_, _, page) = login_page(&fed.local, &client_id).await;
    assert!(page.text.contains("Link at least 2"), "{}", page.text);
    // The user refuses at Slack: one provider linked.
    let end = refuse_at_slack(&fed, &client_id).await;
    assert_page(
        &end,
        403,
        "requires at least 2 linked provider(s); 1 linked",
    );
    // Choosing one provider up front is refused before the password is even checked.
    let one = choose(
        &fed,
        &client_id,
        "ada",
        &[("federated", "true"), ("providers", "github")],
    )
    .await;
    assert_page(&one, 400, "invalid provider selection");
}

#[tokio::test]
async fn a_missing_required_provider_blocks_the_login() {
    let fed = Federated::start(
        3600,
        json!({"federated_auth": {"required_providers": ["slack"]}}),
    )
    .await;
    let client_id = fed.local.public_client().await;
    let (_, _, page) = login_page(&fed.local, &client_id).await;
    assert!(
        page.text.contains("Slack <strong>(required)</strong>"),
        "{}",
        page.text
    );
    // Leaving the required provider out of the selection is refused.
    let without = choose(
        &fed,
        &client_id,
        "ada",
        &[("federated", "true"), ("provider.github", "on")],
    )
    .await;
    assert_page(&without, 400, "not linked: Slack");
    // Refusing at the required provider ends with nothing minted.
    assert_page(
        &refuse_at_slack(&fed, &client_id).await,
        403,
        "not linked: Slack",
    );
}

#[tokio::test]
async fn with_min_providers_zero_a_user_may_link_none() {
    let fed = Federated::start(3600, json!({"federated_auth": {"min_providers": 0}})).await;
    let client_id = fed.local.public_client().await;
    let done = choose(&fed, &client_id, "ada", &[("federated", "true")]).await;
    assert_eq!(done.status, 302, "{}", done.text);
    let code = done
        .location_param("code")
        .expect("a code without any link");
    let reply = fed.local.exchange(&client_id, &code, VERIFIER).await;
    let access = reply.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let mut client = mcp(&fed, &access).await;
    assert_eq!(
        text_of(&client.call("linked_providers", json!({})).await),
        ""
    );
    assert_eq!(fed.github.stats().await["logins"], 0);
}

#[tokio::test]
async fn invalid_provider_selection_is_a_400_page() {
    let fed = Federated::start(3600, json!({})).await;
    let client_id = fed.local.public_client().await;
    for choice in [
        vec![("federated", "true"), ("providers", "gitlab")],
        vec![("provider.<script>", "on")],
        vec![("federated", "true"), ("providers", "")],
    ] {
        let reply = choose(&fed, &client_id, "ada", &choice).await;
        assert_page(&reply, 400, "invalid provider selection");
        assert!(!reply.text.contains("<script>"));
    }
}

#[tokio::test]
async fn strict_state_validation_matches_the_whole_state_and_format_only_its_shape() {
    for (mode, tampered_passes) in [("strict", false), ("format", true)] {
        let fed =
            Federated::start(3600, json!({"federated_auth": {"state_validation": mode}})).await;
        let client_id = fed.local.public_client().await;
        let (browser, _, page) = login_page(&fed.local, &client_id).await;
        let first = submit_login(&fed.local, &browser, &page, "ada", &[]).await;
        let callback = browser
            .upstream_round(upstream_of(&first), "ada", true)
            .await;
        let state = state_of(&callback);
        let (pending, _) = state.split_once('.').expect("state format");
        // A malformed state is refused in both modes.
        let malformed = browser
            .fetch("GET", &with_state(&callback, "not-a-state"), None)
            .await;
        assert_eq!(malformed.status, 400, "{mode}: {}", malformed.text);
        // Same pending id, another secret of the right shape.
        let forged = with_state(&callback, &format!("{pending}.{}", "A".repeat(43)));
        let reply = browser.fetch("GET", &forged, None).await;
        if tampered_passes {
            assert_eq!(reply.status, 302, "{mode}: {}", reply.text);
            assert!(upstream_of(&reply).as_str().starts_with(&fed.slack.issuer));
        } else {
            assert_page(&reply, 400, "state mismatch");
            // The genuine answer still completes.
            let genuine = browser.fetch("GET", &callback, None).await;
            assert_eq!(genuine.status, 302, "{}", genuine.text);
        }
    }
}

#[tokio::test]
async fn a_forged_or_replayed_provider_callback_is_refused() {
    let fed = Federated::start(3600, json!({})).await;
    let client_id = fed.local.public_client().await;
    let (browser, _, page) = login_page(&fed.local, &client_id).await;
    let first = submit_login(&fed.local, &browser, &page, "ada", &[]).await;
    let callback = browser
        .upstream_round(upstream_of(&first), "ada", true)
        .await;
    let used = browser.fetch("GET", &callback, None).await;
    assert_eq!(used.status, 302, "{}", used.text);
    // Replayed: the request it answered is gone.
    let replay = browser.fetch("GET", &callback, None).await;
    assert_eq!(replay.status, 400, "{}", replay.text);
    assert!(replay.text.contains("state mismatch") || replay.text.contains("another provider"));
    // Forged: a state this server never issued.
    let forged = with_state(&callback, &format!("{}.{}", "x".repeat(22), "B".repeat(43)));
    let reply = browser.fetch("GET", &forged, None).await;
    assert_page(&reply, 400, "unknown or finished");
    // A forged code with the genuine state of the next request: the provider refuses it.
    let at_slack = upstream_of(&used);
    let slack_state = at_slack
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let fake = Url::parse(&fed.local.url(&format!(
        "/oauth/provider/slack/callback?code=forged-code&state={slack_state}"
    )))
    .expect("url");
    let refused = browser.fetch("GET", &fake, None).await;
    assert_page(&refused, 400, "refused");
}

#[tokio::test]
async fn a_provider_callback_for_another_session_is_refused() {
    let fed = Federated::start(3600, json!({})).await;
    let client_id = fed.local.public_client().await;
    let (ada, _, page) = login_page(&fed.local, &client_id).await;
    let first = submit_login(&fed.local, &ada, &page, "ada", &[]).await;
    let callback = ada.upstream_round(upstream_of(&first), "ada", true).await;
    // Bob's browser, with a chain of its own, opens Ada's provider answer.
    let (bob, _, page) = login_page(&fed.local, &client_id).await;
    let _ = submit_login(&fed.local, &bob, &page, "bob", &[]).await;
    let stolen = bob.fetch("GET", &callback, None).await;
    assert_page(&stolen, 400, "another browser");
    // Ada's GitHub answer sent to the Slack callback.
    let mut misdirected = callback.clone();
    misdirected.set_path("/oauth/provider/slack/callback");
    let wrong = ada.fetch("GET", &misdirected, None).await;
    assert_page(&wrong, 400, "another provider");
    // Ada's own browser still completes her chain.
    let own = ada.fetch("GET", &callback, None).await;
    assert_eq!(own.status, 302, "{}", own.text);
}

#[tokio::test]
async fn a_provider_token_is_refreshed_once_under_20_concurrent_tool_calls() {
    let fed = Federated::start(3600, json!({"refresh": {"access_token_ttl": 86400}})).await;
    let (_, tokens) = tokens(&fed, "ada", "ada").await;
    let access = tokens["access_token"].as_str().expect("access");
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(mcp(&fed, access).await);
    }
    // Within skew_seconds (60) of the providers' expiry.
    fed.local.clock.advance(3600 - 30);
    let url = format!("{}/me", fed.slack.issuer);
    let calls = clients.iter_mut().map(|client| {
        let url = url.clone();
        async move {
            text_of(
                &client
                    .call("provider_profile", json!({"provider": "slack", "url": url}))
                    .await,
            )
        }
    });
    let answers = futures::future::join_all(calls).await;
    for text in &answers {
        assert_eq!(userinfo(text)["sub"], "ada", "{text}");
    }
    assert_eq!(fed.slack.stats().await["refresh_token"], 1, "{answers:?}");
    assert_eq!(fed.github.stats().await["refresh_token"], 0);
}

#[tokio::test]
async fn a_later_link_through_the_connect_url_succeeds_for_the_same_user_only() {
    let fed = Federated::start(3600, json!({})).await;
    let client_id = fed.local.public_client().await;
    let (browser, _, page) = login_page(&fed.local, &client_id).await;
    let first = submit_login(
        &fed.local,
        &browser,
        &page,
        "ada",
        &[("federated", "true"), ("providers", "github")],
    )
    .await;
    let done = link(&browser, upstream_of(&first), "ada").await;
    let code = done.location_param("code").expect("code");
    let reply = fed.local.exchange(&client_id, &code, VERIFIER).await;
    let access = reply.json()["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let mut client = mcp(&fed, &access).await;
    assert_eq!(
        text_of(&client.call("linked_providers", json!({})).await),
        "github"
    );
    // Slack is not linked: the tool's error carries the connect URL.
    let missing = profile(&mut client, &fed, "slack").await;
    let text = text_of(&missing);
    assert_eq!(missing.result()["isError"], true, "{text}");
    let connect = connect_url(&text);
    assert!(
        connect
            .as_str()
            .starts_with(&fed.local.url("/oauth/connect?ticket="))
    );
    // Asking again gives the same ticket: no record per call.
    assert_eq!(
        connect_url(&text_of(&profile(&mut client, &fed, "slack").await)),
        connect
    );

    // Bob opens Ada's link and signs in as himself: refused, and the ticket is spent.
    let bob = Browser::default();
    let (_, page) = walk_to_page(&bob, connect.clone()).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("link your Slack account"),
        "{}",
        page.text
    );
    let refused = submit_login(&fed.local, &bob, &page, "bob", &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(refused.text.contains("another account"), "{}", refused.text);
    let (_, spent) = walk_to_page(&bob, connect.clone()).await;
    assert_eq!(spent.status, 400, "{}", spent.text);
    assert!(text_of(&profile(&mut client, &fed, "slack").await).contains("is not linked"));

    // Ada, with a fresh link: she signs in, links Slack, and the retried call succeeds.
    let again = connect_url(&text_of(&profile(&mut client, &fed, "slack").await));
    let ada = Browser::default();
    let (_, page) = walk_to_page(&ada, again).await;
    let to_slack = submit_login(&fed.local, &ada, &page, "ada", &[]).await;
    let linked = link(&ada, upstream_of(&to_slack), "ada").await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    assert!(linked.text.contains("Slack linked"), "{}", linked.text);
    assert_eq!(
        userinfo(&text_of(&profile(&mut client, &fed, "slack").await))["sub"],
        "ada"
    );
    assert_eq!(
        text_of(&client.call("linked_providers", json!({})).await),
        "github,slack"
    );
}

/// The connect URL in a tool's error text.
fn connect_url(text: &str) -> Url {
    let start = text
        .find("http")
        .unwrap_or_else(|| panic!("no URL in {text}"));
    let url = text[start..].split_whitespace().next().unwrap_or_default();
    Url::parse(url).expect("connect URL")
}

#[test]
fn federation_mistakes_stop_start_up_with_every_violation() {
    use common::{assert_violation, load_toml};
    use frontmcp_auth::ServerDefinition;
    use frontmcp_auth::rules::Rule;
    let bare = ServerDefinition::new("Federation");
    let toml = |extra: &str| {
        format!(
            "[auth]\nmode = \"local\"\n{extra}\n[[auth.providers]]\nid = \"corp\"\npreset = \"gihtub\"\nclient_id = \"c\"\n[[auth.providers]]\nid = \"okta\"\nclient_id = \"o\"\n[[auth.providers]]\nid = \"plain\"\nclient_id = \"p\"\n"
        )
    };
    let loaded = load_toml(&bare, &toml("session_mode = \"stateless\""), &[]);
    let violations = match loaded {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    for expected in [
        "`gihtub` is not a provider preset",
        "did you mean `github`?",
        "Okta serves each customer at their own issuer",
        "nothing gives this provider's endpoints",
        "stateless sessions have none",
    ] {
        assert!(violations.contains(expected), "{expected}: {violations}");
    }
    assert_violation(
        load_toml(
            &bare,
            "[auth]\nmode = \"local\"\nvault_key = \"a-vault-key-of-at-least-32-characters\"\n",
            &[],
        ),
        Rule::FederatedProviderInvalid,
        "no provider is configured",
    );
    let production = "[security]\nprofile = \"production\"\n[auth]\nmode = \"local\"\n[[auth.providers]]\nid = \"github\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
    assert_violation(
        load_toml(&bare, production, &[]),
        Rule::ProductionVaultKey,
        "random key that dies with the process",
    );
}

#[tokio::test]
async fn hostile_connect_and_provider_callback_requests_get_4xx_pages_never_5xx() {
    let fed = Federated::start(3600, json!({})).await;
    let long = "A".repeat(5000);
    let paths = [
        "/oauth/connect".to_owned(),
        "/oauth/connect?ticket=".to_owned(),
        "/oauth/connect?ticket=%3Cscript%3E".to_owned(),
        format!("/oauth/connect?ticket={long}"),
        "/oauth/connect?ticket=a&ticket=b".to_owned(),
        "/oauth/connect?ticket=unknownticket123".to_owned(),
        "/oauth/provider/github/callback".to_owned(),
        "/oauth/provider/github/callback?state=%00%01".to_owned(),
        format!("/oauth/provider/slack/callback?state={long}.x&code=c"),
        "/oauth/provider/slack/callback?state=a.b&state=c.d".to_owned(),
        "/oauth/provider/slack/callback?error=access_denied".to_owned(),
        "/oauth/provider/gitlab/callback?state=x".to_owned(),
        "/oauth/provider/github/callback?%ZZ=1".to_owned(),
    ];
    for path in paths {
        let reply = fed.local.get(&path).await;
        assert!(
            (400..500).contains(&reply.status),
            "{path}: {} {}",
            reply.status,
            reply.text
        );
        assert!(!reply.text.contains("<script>"), "{path}");
    }
}
