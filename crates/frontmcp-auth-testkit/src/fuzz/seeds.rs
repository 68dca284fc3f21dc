//! The valid requests a fuzz run starts from, taken from a real run against the server: every
//! endpoint with the identifiers, cookies and tokens a real client would send.

use serde_json::{Value, json};

use super::wire::Template;
use crate::flow::{CHALLENGE, Flow, REDIRECT, VERIFIER, authorize_url, reply};

/// What the run needs to know of the server.
#[derive(Debug, Clone)]
pub struct Target {
    /// The base URL (`http://127.0.0.1:port`).
    pub base: String,
    /// The MCP endpoint's path.
    pub mcp_path: String,
    /// A tool to call, with its arguments.
    pub tool: (String, Value),
    /// The admin credential, when the admin endpoint is served.
    pub admin_token: Option<String>,
}

/// Signs in for real and returns a template of every request the server knows: discovery,
/// registration and client management, authorize, the login and consent forms, every token
/// grant, revocation, introspection, userinfo, MCP JSON-RPC and the admin endpoint.
///
/// # Panics
///
/// When a step of the real run fails.
pub async fn templates(target: &Target) -> Vec<Template> {
    let flow = Flow::default();
    let base = &target.base;
    let mut out = vec![
        Template::new("metadata", "GET", "/.well-known/oauth-authorization-server"),
        Template::new("openid", "GET", "/.well-known/openid-configuration"),
        Template::new("resource", "GET", "/.well-known/oauth-protected-resource"),
        Template::new(
            "resource-path",
            "GET",
            &format!("/.well-known/oauth-protected-resource{}", target.mcp_path),
        ),
        Template::new("jwks", "GET", "/.well-known/jwks.json"),
        Template::new("health", "GET", "/healthz"),
        Template::new("metrics", "GET", "/metrics"),
    ];

    // Registration, a confidential client for the endpoints that authenticate one.
    let registration = json!({
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "client_secret_post",
        "client_name": "Fuzz client",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "profile email offline_access",
    });
    out.push(Template::new("register", "POST", "/oauth/register").json(registration.clone()));
    let registered = reply(
        flow.http
            .post(format!("{base}/oauth/register"))
            .json(&registration)
            .send()
            .await
            .expect("register"),
    )
    .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let client = registered.json();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let (client_id, secret) = (text(&client, "client_id"), text(&client, "client_secret"));
    let registration_token = text(&client, "registration_access_token");
    let manage = format!("/oauth/register/{client_id}");
    let bearer = format!("Bearer {registration_token}");
    out.push(Template::new("client-read", "GET", &manage).header("authorization", &bearer));
    out.push(
        Template::new("client-update", "PUT", &manage)
            .header("authorization", &bearer)
            .json(json!({"client_id": client_id, "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"})),
    );
    out.push(
        Template::new(
            "client-delete",
            "DELETE",
            "/oauth/register/mcp_not_a_client",
        )
        .header("authorization", &bearer),
    );

    // Authorize, and the login form with its pending id and CSRF cookie.
    let authorize_query = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "state-1"),
        ("scope", "profile email offline_access"),
    ];
    out.push(Template::new("authorize", "GET", "/oauth/authorize").query(&authorize_query));
    let page = reply(
        flow.http
            .get(authorize_url(base, &client_id))
            .send()
            .await
            .expect("authorize"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let (pending, csrf, cookie) = (
        page.field("pending_auth_id"),
        page.field("csrf_token"),
        page.cookies(),
    );
    let login = [
        ("pending_auth_id", pending.as_str()),
        ("csrf_token", csrf.as_str()),
        ("email", "fuzz@example.com"),
        ("name", "Fuzz"),
        ("username", "fuzz@example.com"),
        ("password", crate::TEST_PASSWORD),
    ];
    out.push(
        Template::new("login", "POST", "/oauth/callback")
            .form(&login)
            .header("cookie", &cookie),
    );

    // The login for real; with the consent screen on, the consent form too.
    let done = submit(&flow, base, "/oauth/callback", &login, &cookie).await;
    let done = if done.status == 200 {
        let consent = [
            ("pending_auth_id", done.field("pending_auth_id")),
            ("csrf_token", done.field("csrf_token")),
            ("tool", String::from("add")),
            ("decision", String::from("allow")),
        ];
        let consent: Vec<(&str, &str)> = consent.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let cookie = done.cookies();
        out.push(
            Template::new("consent", "POST", "/oauth/consent")
                .form(&consent)
                .header("cookie", &cookie),
        );
        submit(&flow, base, "/oauth/consent", &consent, &cookie).await
    } else {
        done
    };
    assert_eq!(done.status, 302, "{}", done.text);
    let location = url::Url::parse(done.header("location").expect("location")).expect("url");
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    // Tokens, for real, then the grants as templates.
    let auth = [
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let with_client = |pairs: &[(&'static str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .chain(auth.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let exchange = with_client(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]);
    let tokens = reply(
        flow.http
            .post(format!("{base}/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(crate::flow::form(
                &exchange
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            ))
            .send()
            .await
            .expect("token"),
    )
    .await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let tokens = tokens.json();
    let (access, refresh) = (
        text(&tokens, "access_token"),
        text(&tokens, "refresh_token"),
    );
    let form_of = |pairs: Vec<(String, String)>| {
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Template::new("", "POST", "").form(&borrowed).body
    };
    let mut grant = |name: &str, path: &str, pairs: Vec<(String, String)>| {
        let mut template = Template::new(name, "POST", path);
        template.body = form_of(pairs);
        out.push(template);
    };
    grant("token-code", "/oauth/token", exchange.clone());
    grant(
        "token-refresh",
        "/oauth/token",
        with_client(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]),
    );
    grant(
        "token-client-credentials",
        "/oauth/token",
        with_client(&[("grant_type", "client_credentials"), ("scope", "profile")]),
    );
    grant(
        "token-jwt-bearer",
        "/oauth/token",
        with_client(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", "eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        ]),
    );
    grant(
        "revoke",
        "/oauth/revoke",
        with_client(&[("token", &refresh)]),
    );
    grant(
        "introspect",
        "/oauth/introspect",
        with_client(&[("token", &access), ("token_type_hint", "access_token")]),
    );
    let access_bearer = format!("Bearer {access}");
    out.push(
        Template::new("userinfo", "GET", "/oauth/userinfo").header("authorization", &access_bearer),
    );

    // MCP JSON-RPC in a real session.
    let mcp_url = format!("{base}{}", target.mcp_path);
    let session = flow.mcp(&mcp_url, &access).await.expect("mcp session");
    let session_id = session.session_id().unwrap_or_default().to_owned();
    let rpc = |name: &str, body: Value| {
        Template::new(name, "POST", &target.mcp_path)
            .header("authorization", &access_bearer)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session_id)
            .header("mcp-protocol-version", "2025-06-18")
            .json(body)
    };
    out.push(rpc(
        "mcp-initialize",
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}}),
    ));
    out.push(rpc(
        "mcp-tools-list",
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}),
    ));
    out.push(rpc(
        "mcp-tools-call",
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": target.tool.0, "arguments": target.tool.1}}),
    ));
    out.push(rpc("mcp-batch", json!([{"jsonrpc": "2.0", "id": 4, "method": "ping"}, {"jsonrpc": "2.0", "method": "notifications/initialized"}])));
    out.push(rpc("mcp-resources", json!({"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": "file:///etc/passwd"}})));
    out.push(
        Template::new("mcp-delete", "DELETE", &target.mcp_path)
            .header("authorization", &access_bearer)
            .header("mcp-session-id", "not-a-session"),
    );

    if let Some(admin) = &target.admin_token {
        out.push(
            Template::new("admin-revoke", "POST", "/admin/sessions/revoke")
                .header("authorization", &format!("Bearer {admin}"))
                .json(json!({"user_email": "nobody@example.com", "reason": "fuzz", "revoke_all": true})),
        );
    }
    out
}

/// Posts the form `pairs` with `cookie`.
async fn submit(
    flow: &Flow,
    base: &str,
    path: &str,
    pairs: &[(&str, &str)],
    cookie: &str,
) -> crate::flow::Reply {
    reply(
        flow.http
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .body(crate::flow::form(pairs))
            .send()
            .await
            .expect("form"),
    )
    .await
}
