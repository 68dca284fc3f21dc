//! `split_by_app`: each app at its own path with its own auth (any mode), its own discovery
//! documents and authorization-server routes; a token from one app is refused by the other.

mod common;

use common::apps::{BillingApp, MathApp};
use common::local::{CHALLENGE, REDIRECT, SECRET, VERIFIER, form};
use common::mcp::{Client, Running, start, text_of};
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{Environment, FileChoice};
use frontmcp_auth::http::RouterOptions;
use serde_json::{Value, json};

fn split(apps: Value) -> ServerDefinition {
    ServerDefinition::new("Split")
        .with_base(json!({"split_by_app": true, "apps": apps}))
        .app::<MathApp>("math")
        .app::<BillingApp>("billing")
}

fn local(secret: &str) -> Value {
    json!({"auth": {"mode": "local", "local": {"jwt_secret": secret}}})
}

struct Browser {
    http: reqwest::Client,
    running: Running,
}

impl Browser {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.running.url(path))
            .send()
            .await
            .expect("get")
    }

    async fn json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The whole local flow against the app at `prefix`: an access token.
    async fn token(&self, prefix: &str) -> String {
        let registered: Value = self
            .http
            .post(self.running.url(&format!("{prefix}/oauth/register")))
            .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}))
            .send()
            .await
            .expect("register")
            .json()
            .await
            .expect("json");
        let client_id = registered["client_id"].as_str().expect("client").to_owned();
        let query = form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        let page = self.get(&format!("{prefix}/oauth/authorize?{query}")).await;
        let cookie = page
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_owned();
        let html = page.text().await.expect("page");
        let field = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            let start = html.find(&marker).expect("field") + marker.len();
            html[start..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let done = self
            .http
            .post(self.running.url(&format!("{prefix}/oauth/callback")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .body(form(&[
                ("pending_auth_id", &field("pending_auth_id")),
                ("csrf_token", &field("csrf_token")),
                ("email", "ada@example.com"),
            ]))
            .send()
            .await
            .expect("callback");
        let location = done.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let code = url::Url::parse(&location)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code");
        let tokens: Value = self
            .http
            .post(self.running.url(&format!("{prefix}/oauth/token")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_id", &client_id),
            ]))
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        tokens["access_token"].as_str().expect("access").to_owned()
    }
}

async fn serve(definition: &ServerDefinition) -> Browser {
    Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        running: start(definition, &[], RouterOptions::default()).await,
    }
}

#[tokio::test]
async fn two_apps_in_different_modes_each_with_its_own_auth() {
    let server = serve(&split(json!({
        "math": local(SECRET),
        "billing": {"auth": {"mode": "public"}},
    })))
    .await;
    let base = server.running.url("");

    let (status, math_prm) = server
        .json("/.well-known/oauth-protected-resource/math/mcp")
        .await;
    assert_eq!(status, 200);
    assert_eq!(math_prm["resource"], format!("{base}/math/mcp"));
    assert_eq!(
        math_prm["authorization_servers"],
        json!([format!("{base}/math")])
    );
    let (status, billing_prm) = server
        .json("/.well-known/oauth-protected-resource/billing/mcp")
        .await;
    assert_eq!(status, 200);
    assert_eq!(billing_prm["resource"], format!("{base}/billing/mcp"));
    let (status, metadata) = server
        .json("/.well-known/oauth-authorization-server/math")
        .await;
    assert_eq!(status, 200);
    assert_eq!(metadata["issuer"], format!("{base}/math"));
    assert_eq!(
        metadata["token_endpoint"],
        format!("{base}/math/oauth/token")
    );
    let (status, _) = server
        .json("/.well-known/oauth-authorization-server/billing")
        .await;
    assert_eq!(status, 404, "a public app has no authorization server");

    let mut anonymous = Client::new(server.running.url("/billing/mcp"));
    assert_eq!(anonymous.initialize().await.status, 200, "public app");
    let names = anonymous.tool_names().await;
    assert_eq!(
        names,
        ["list_invoices", "status"],
        "only its own tools, unprefixed"
    );
    let mut refused = Client::new(server.running.url("/math/mcp"));
    assert_eq!(
        refused.initialize().await.status,
        401,
        "the local app needs a token"
    );

    let token = server.token("/math").await;
    let mut math = Client::new(server.running.url("/math/mcp")).with_token(&token);
    assert_eq!(math.initialize().await.status, 200);
    assert_eq!(
        text_of(&math.call("add", json!({"a": 1, "b": 1})).await),
        "2"
    );
    let mut elsewhere = Client::new(server.running.url("/billing/mcp")).with_token(&token);
    assert_eq!(
        elsewhere.initialize().await.status,
        401,
        "the math app's token is refused by the billing app"
    );
}

#[tokio::test]
async fn tokens_do_not_cross_between_two_local_apps_sharing_a_secret() {
    let server = serve(&split(
        json!({"math": local(SECRET), "billing": local(SECRET)}),
    ))
    .await;
    let token = server.token("/math").await;
    let mut math = Client::new(server.running.url("/math/mcp")).with_token(&token);
    assert_eq!(math.initialize().await.status, 200);
    let mut billing = Client::new(server.running.url("/billing/mcp")).with_token(&token);
    let answer = billing.initialize().await;
    assert_eq!(answer.status, 401, "another audience and issuer");
    assert!(
        answer
            .header("www-authenticate")
            .is_some_and(|c| c.contains("/.well-known/oauth-protected-resource/billing/mcp")),
        "the challenge points at the billing app's own metadata"
    );
}

#[test]
fn server_level_auth_beside_split_by_app_is_refused_at_start_up() {
    let definition = ServerDefinition::new("Both")
        .with_base(json!({
            "split_by_app": true,
            "auth": {"mode": "public"},
            "apps": {"math": {"auth": {"mode": "public"}}},
        }))
        .app::<MathApp>("math");
    let refused = definition
        .loader()
        .env(Environment::from_pairs(Vec::<(String, String)>::new()))
        .file(FileChoice::None)
        .load();
    let error = refused.expect_err("refused").to_string();
    assert!(error.contains("split_by_app"), "{error}");
}
