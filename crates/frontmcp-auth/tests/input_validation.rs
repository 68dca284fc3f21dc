//! Input validation of every OAuth parameter, one named test per rule, over real HTTP on
//! loopback: what a request may carry and the error it gets when it carries something else.
//!
//! Before the client and its redirect URI are established, `/oauth/authorize` answers with a
//! 400 page and never redirects; after, it redirects the error to the client (RFC 6749
//! §4.1.2.1). The token, registration and revocation endpoints answer with JSON errors.

mod common;

use common::local::{CONFIGURED, Local, REDIRECT, Reply, definition_with, form};
use serde_json::{Value, json};

/// Asserts a 400 HTML page that does not redirect and says `needle`.
fn assert_page(reply: &Reply, needle: &str, what: &str) {
    assert_eq!(reply.status, 400, "{what}: {}", reply.text);
    assert!(reply.header("location").is_none(), "{what}: no redirect");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{what}"
    );
    assert!(reply.text.contains(needle), "{what}: {}", reply.text);
}

/// Asserts a redirect to the client carrying `code` and an `error_description` with `needle`.
fn assert_redirected(reply: &Reply, code: &str, needle: &str, what: &str) {
    assert_eq!(reply.status, 302, "{what}: {}", reply.text);
    assert!(
        reply
            .header("location")
            .is_some_and(|l| l.starts_with(REDIRECT)),
        "{what}"
    );
    assert_eq!(
        reply.location_param("error").as_deref(),
        Some(code),
        "{what}"
    );
    let description = reply
        .location_param("error_description")
        .unwrap_or_default();
    assert!(description.contains(needle), "{what}: {description}");
}

/// Asserts a JSON error `code` with a description containing `needle`.
fn assert_json_error(reply: &Reply, status: u16, code: &str, needle: &str, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.text);
    let body: Value = reply.json();
    assert_eq!(body["error"], code, "{what}: {body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains(needle)),
        "{what}: {body}"
    );
}

/// Asserts that `uri` is refused both at registration (`invalid_redirect_uri`) and as the
/// redirect URI of an unregistered client at authorize (a 400 page), each saying `needle`.
async fn assert_redirect_uri_refused(server: &Local, uri: &str, needle: &str) {
    let refused = server.register(json!({"redirect_uris": [uri]})).await;
    assert_json_error(&refused, 400, "invalid_redirect_uri", needle, uri);
    let page = server
        .authorize("unregistered-app", &[("redirect_uri", uri)])
        .await;
    assert_page(&page, needle, uri);
}

/// A server that also takes unregistered clients (their redirect URI is checked by the
/// registration rules on every request).
async fn open_server() -> Local {
    Local::start(json!({"require_registered_clients": false})).await
}

#[tokio::test]
async fn client_id_must_be_1_to_2048_visible_ascii_characters() {
    let server = open_server().await;
    let long = "c".repeat(2049);
    for (what, client_id) in [
        ("a space", "my client"),
        ("a control character", "client\u{7}"),
        ("non-ASCII", "client-\u{e9}"),
        ("2049 characters", long.as_str()),
    ] {
        let page = server.authorize(client_id, &[]).await;
        assert_page(&page, "client_id must be 1 to 2048 visible ASCII", what);
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", client_id),
        ]);
        let token = server.post_form("/oauth/token", body, &[]).await;
        assert_json_error(&token, 400, "invalid_request", "client_id must be", what);
    }
    let longest = "c".repeat(2048);
    let accepted = server.authorize(&longest, &[]).await;
    assert_eq!(
        accepted.status, 200,
        "2048 characters is an unregistered public client: {}",
        accepted.text
    );
}

#[tokio::test]
async fn redirect_uri_is_at_most_2048_bytes() {
    let server = open_server().await;
    let base = "http://127.0.0.1:7777/";
    let too_long = format!("{base}{}", "a".repeat(2049 - base.len()));
    let longest = format!("{base}{}", "a".repeat(2048 - base.len()));
    assert_redirect_uri_refused(&server, &too_long, "longer than 2048 bytes").await;
    let accepted = server.register(json!({"redirect_uris": [longest]})).await;
    assert_eq!(accepted.status, 201, "2048 bytes: {}", accepted.text);
}

#[tokio::test]
async fn redirect_uri_is_https_or_loopback() {
    let server = Local::start(json!({
        "require_registered_clients": false,
        "dcr": {"allowed_redirect_uris": ["https://*.example.com/callback", "http://*.example.com/callback"]}
    }))
    .await;
    let plain = "http://app.example.com/callback";
    assert_redirect_uri_refused(&server, plain, "use https").await;
    let https = server
        .register(json!({"redirect_uris": ["https://app.example.com/callback"]}))
        .await;
    assert_eq!(https.status, 201, "{}", https.text);
    let loopback_only = open_server().await;
    for good in [
        "http://127.0.0.1:7777/callback",
        "http://localhost:7777/callback",
        "http://[::1]:7777/callback",
    ] {
        let reply = loopback_only
            .register(json!({"redirect_uris": [good]}))
            .await;
        assert_eq!(reply.status, 201, "{good}: {}", reply.text);
    }
}

#[tokio::test]
async fn redirect_uri_has_no_wildcard() {
    let server = Local::start(json!({
        "require_registered_clients": false,
        "dcr": {"allowed_redirect_uris": ["https://*.example.com/*"]}
    }))
    .await;
    for wildcard in [
        "https://*.example.com/callback",
        "https://app.example.com/*",
        "http://127.0.0.1:*/callback",
    ] {
        assert_redirect_uri_refused(&server, wildcard, "must not contain `*`").await;
    }
}

#[tokio::test]
async fn redirect_uri_never_has_a_script_data_or_file_scheme() {
    let server = open_server().await;
    for uri in [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
    ] {
        assert_redirect_uri_refused(&server, uri, "scheme is never a valid redirect").await;
    }
}

#[tokio::test]
async fn redirect_uri_has_no_fragment() {
    let server = open_server().await;
    for uri in [
        "http://127.0.0.1:7777/callback#frag",
        "http://127.0.0.1:7777/callback#",
    ] {
        assert_redirect_uri_refused(&server, uri, "must not have a fragment").await;
    }
    let client_id = CONFIGURED.to_owned();
    let page = server
        .authorize(&client_id, &[("redirect_uri", &format!("{REDIRECT}#x"))])
        .await;
    assert_page(
        &page,
        "redirect_uri is not registered",
        "a registered URI plus a fragment",
    );
}

#[tokio::test]
async fn state_is_8_to_512_characters_when_required() {
    let server = Local::start_definition(
        &definition_with(json!({}), json!({"security": {"require_state": true}})),
        &[],
    )
    .await;
    let client_id = CONFIGURED.to_owned();
    let missing = server.authorize(&client_id, &[("state", "")]).await;
    assert_redirected(&missing, "invalid_request", "state is required", "missing");
    assert_eq!(missing.location_param("state"), None);
    let short = server.authorize(&client_id, &[("state", "1234567")]).await;
    assert_redirected(&short, "invalid_request", "at least 8", "7 characters");
    let long = "s".repeat(513);
    let too_long = server.authorize(&client_id, &[("state", &long)]).await;
    assert_redirected(
        &too_long,
        "invalid_request",
        "at most 512",
        "513 characters",
    );
    assert_eq!(
        too_long.location_param("state"),
        None,
        "a malformed state is not echoed"
    );
    for good in ["12345678".to_owned(), "s".repeat(512), "é".repeat(512)] {
        let reply = server.authorize(&client_id, &[("state", &good)]).await;
        assert_eq!(
            reply.status,
            200,
            "{} characters: {}",
            good.chars().count(),
            reply.text
        );
    }
}

#[tokio::test]
async fn state_is_optional_outside_production_but_still_bounded() {
    let server = Local::start(json!({})).await;
    let client_id = CONFIGURED.to_owned();
    for optional in ["", "abc"] {
        let reply = server.authorize(&client_id, &[("state", optional)]).await;
        assert_eq!(reply.status, 200, "state {optional:?}: {}", reply.text);
    }
    let long = "s".repeat(513);
    let too_long = server.authorize(&client_id, &[("state", &long)]).await;
    assert_redirected(
        &too_long,
        "invalid_request",
        "at most 512",
        "513 characters",
    );
    let control = server
        .authorize(&client_id, &[("state", "state\r\nline")])
        .await;
    assert_redirected(&control, "invalid_request", "control characters", "CRLF");
    assert_eq!(control.location_param("state"), None);

    let production = Local::start_definition(
        &definition_with(
            json!({"dcr": {"enabled": true, "allowed_redirect_uris": [REDIRECT],
                           "clients": [{"client_id": CONFIGURED, "redirect_uris": [REDIRECT]}]},
                   "login": {"authenticator": "password"}}),
            json!({
                "security": {"profile": "production", "single_instance": true},
                "http": {"public_url": "http://127.0.0.1"},
            }),
        ),
        &[],
    )
    .await;
    let client_id = CONFIGURED.to_owned();
    let missing = production.authorize(&client_id, &[("state", "")]).await;
    assert_redirected(
        &missing,
        "invalid_request",
        "state is required",
        "required by default under the production profile",
    );
}

#[tokio::test]
async fn code_challenge_is_43_base64url_characters() {
    let server = Local::start(json!({})).await;
    let client_id = CONFIGURED.to_owned();
    let valid = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(valid.len(), 43);
    let cases = [
        ("42 characters", valid[..42].to_owned()),
        ("44 characters", format!("{valid}A")),
        ("128 characters", "A".repeat(128)),
        ("129 characters", "A".repeat(129)),
        ("padding", format!("{}=", &valid[..42])),
        ("standard base64", format!("{}+", &valid[..42])),
        ("a slash", format!("{}/", &valid[..42])),
    ];
    for (what, challenge) in cases {
        let reply = server
            .authorize(&client_id, &[("code_challenge", &challenge)])
            .await;
        assert_redirected(
            &reply,
            "invalid_request",
            "code_challenge must be 43 base64url characters",
            what,
        );
    }
    let accepted = server
        .authorize(&client_id, &[("code_challenge", valid)])
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
}

#[tokio::test]
async fn scope_tokens_use_the_rfc_6749_character_set() {
    let server = Local::start(json!({"scopes_supported": ["mcp:tools/read!#$"]})).await;
    let client_id = CONFIGURED.to_owned();
    for scope in ["bad\"scope", "back\\slash", "tab\there", "caf\u{e9}"] {
        let reply = server.authorize(&client_id, &[("scope", scope)]).await;
        assert_redirected(&reply, "invalid_scope", "outside the allowed set", scope);
    }
    let accepted = server
        .authorize(&client_id, &[("scope", "profile email mcp:tools/read!#$")])
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &client_id),
        ("scope", "bad\"scope"),
    ]);
    let token = server.post_form("/oauth/token", body, &[]).await;
    assert!(
        token.status == 400,
        "the token endpoint refuses it too: {}",
        token.text
    );
}

#[tokio::test]
async fn oversized_parameters_are_invalid_request() {
    let server = Local::start(json!({})).await;
    let client_id = CONFIGURED.to_owned();
    let huge = "x".repeat(4097);
    let page = server.authorize(&client_id, &[("nonce", &huge)]).await;
    assert_page(&page, "too long", "a 4097-byte value at authorize");
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &huge),
        ("client_id", &client_id),
    ]);
    let token = server.post_form("/oauth/token", body, &[]).await;
    assert_json_error(&token, 400, "invalid_request", "too long", "token");
    let many: Vec<(String, String)> = (0..65)
        .map(|i| (format!("p{i}"), String::from("1")))
        .collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let token = server.post_form("/oauth/token", form(&pairs), &[]).await;
    assert_json_error(&token, 400, "invalid_request", "too many", "65 parameters");
    let revoke = server
        .post_form("/oauth/revoke", form(&[("token", &huge)]), &[])
        .await;
    assert_json_error(&revoke, 400, "invalid_request", "too long", "revoke");
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let server = Local::start(json!({})).await;
    let client_id = CONFIGURED.to_owned();
    let twice_scope = format!(
        "/oauth/authorize?{}&scope=email",
        form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", common::local::CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "state-123"),
            ("scope", "profile"),
        ])
    );
    let reply = server.get(&twice_scope).await;
    assert_redirected(
        &reply,
        "invalid_request",
        "`scope` parameter is repeated",
        "scope",
    );
    let twice_client = format!(
        "/oauth/authorize?{}",
        form(&[
            ("client_id", &client_id),
            ("client_id", "other"),
            ("redirect_uri", REDIRECT),
        ])
    );
    let page = server.get(&twice_client).await;
    assert_page(&page, "`client_id` parameter is repeated", "client_id");
    let body = form(&[
        ("grant_type", "refresh_token"),
        ("grant_type", "authorization_code"),
        ("refresh_token", "x"),
        ("client_id", &client_id),
    ]);
    let token = server.post_form("/oauth/token", body, &[]).await;
    assert_json_error(&token, 400, "invalid_request", "repeated", "grant_type");
}
