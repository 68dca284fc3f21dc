//! Federation: a local-mode server whose users (ada, bob in its password directory) link two
//! real OpenID providers (two `oidc-provider` instances, `remote-idp.mjs`, standing in for
//! GitHub and Slack) at login, walked by the test browser of [`super::remote`].

#![allow(dead_code)]

use std::sync::Arc;

use frontmcp_auth::Clock;
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::store::{MemoryStore, Store};
use serde_json::{Value, json};
use url::Url;

use super::apps::FederatedApp;
use super::local::{Local, Reply, SECRET, VERIFIER, add_users, authorize_path, form};
use super::remote::{Browser, CLIENT_ID, CLIENT_SECRET, Idp, VAULT_KEY, Walk, now};

/// The local users: username and password.
pub const USERS: &[(&str, &str)] = &[("ada", "ada-local-pw"), ("bob", "bob-local-pw")];

/// Two providers and the server linking them.
pub struct Federated {
    pub local: Local,
    pub github: Idp,
    pub slack: Idp,
    pub store: Arc<dyn Store>,
}

/// The `providers` of the tests: `github` and `slack`, both OpenID providers by issuer.
pub fn providers(github: &Idp, slack: &Idp) -> Value {
    json!([
        {"id": "github", "name": "GitHub", "issuer": github.issuer, "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET, "scopes": ["openid", "email", "profile"]},
        {"id": "slack", "name": "Slack", "issuer": slack.issuer, "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET, "scopes": ["openid", "email", "profile"]},
    ])
}

/// A local-mode definition with both providers, the password directory and `auth` merged over
/// it, serving [`FederatedApp`].
pub fn definition(github: &Idp, slack: &Idp, auth: Value) -> ServerDefinition {
    let mut merged = json!({
        "mode": "local",
        "local": {"jwt_secret": SECRET},
        "login": {"authenticator": "password"},
        "vault_key": VAULT_KEY,
        "providers": providers(github, slack),
    });
    if let (Some(base), Some(extra)) = (merged.as_object_mut(), auth.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    ServerDefinition::new("FederatedTest")
        .with_base(json!({ "auth": merged }))
        .app::<FederatedApp>("federated")
}

impl Federated {
    /// Starts both providers (access tokens living `access_ttl` seconds) and the server, on a
    /// memory store with a manual clock at the wall-clock time.
    pub async fn start(access_ttl: u64, auth: Value) -> Federated {
        let github = Idp::start(access_ttl);
        let slack = Idp::start(access_ttl);
        let clock = Clock::manual(now());
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new(clock.clone()));
        add_users(&store, USERS).await;
        let local = Local::start_with_store(
            &definition(&github, &slack, auth),
            &[],
            clock,
            store.clone(),
        )
        .await;
        Federated {
            local,
            github,
            slack,
            store,
        }
    }

    /// The provider called `id`.
    pub fn idp(&self, id: &str) -> &Idp {
        if id == "github" {
            &self.github
        } else {
            &self.slack
        }
    }
}

/// A browser at the login page of a new authorization request of `client_id`.
pub async fn login_page(local: &Local, client_id: &str) -> (Browser, Url, Reply) {
    let browser = Browser::default();
    let url = Url::parse(&local.url(&authorize_path(
        client_id,
        &[("state", "client-state-123"), ("scope", "")],
    )))
    .expect("url");
    let page = browser.fetch("GET", &url, None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    (browser, url, page)
}

/// Submits the login form of `page` as `user` with the extra fields `choice` (the provider
/// selection); the server's answer.
pub async fn submit_login(
    local: &Local,
    browser: &Browser,
    page: &Reply,
    user: &str,
    choice: &[(&str, &str)],
) -> Reply {
    let password = super::federation::USERS
        .iter()
        .find(|(u, _)| *u == user)
        .map_or("wrong", |(_, p)| *p);
    let mut fields = vec![
        ("pending_auth_id", page.field("pending_auth_id")),
        ("csrf_token", page.field("csrf_token")),
        ("username", user.to_owned()),
        ("password", password.to_owned()),
    ];
    fields.extend(choice.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let action = Url::parse(&local.url("/oauth/callback")).expect("url");
    browser.fetch("POST", &action, Some(form(&pairs))).await
}

/// The provider's authorization URL a reply redirects to.
pub fn upstream_of(reply: &Reply) -> Url {
    assert_eq!(reply.status, 302, "{}", reply.text);
    Url::parse(reply.header("location").expect("location")).expect("provider URL")
}

/// Signs in at the provider of `start` as `login` (allowing), then opens our callback in
/// `browser`; our answer.
pub async fn link(browser: &Browser, start: Url, login: &str) -> Reply {
    let callback = browser.upstream_round(start, login, true).await;
    browser.fetch("GET", &callback, None).await
}

/// The whole login of `user` linking every provider as `login` at each: `(client_id, token
/// response)`.
pub async fn tokens(fed: &Federated, user: &str, login: &str) -> (String, Value) {
    let client_id = fed.local.public_client().await;
    let (browser, _, page) = login_page(&fed.local, &client_id).await;
    let first = submit_login(&fed.local, &browser, &page, user, &[]).await;
    let second = link(&browser, upstream_of(&first), login).await;
    let done = link(&browser, upstream_of(&second), login).await;
    assert_eq!(done.status, 302, "{}", done.text);
    let code = done.location_param("code").expect("code");
    let reply = fed.local.exchange(&client_id, &code, VERIFIER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    (client_id, reply.json())
}

/// Where a walk from `start` ends, following redirects in `browser` (stopping at nothing).
pub async fn walk_to_page(browser: &Browser, start: Url) -> (Url, Reply) {
    match browser.walk(start, "GET", None, &|_| false).await {
        Walk::Page(url, reply) => (url, reply),
        Walk::Stopped(url) => panic!("stopped at {url}"),
    }
}
