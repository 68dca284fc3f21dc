//! Operator templates (`ui.templates_dir`): a file replaces the built-in page of its name, but
//! the server keeps the form's hidden fields, its CSRF check and its security headers whatever
//! the template says, and a broken template stops start-up instead of the first login.

mod common;

use common::local::{Local, definition_with, form};
use serde_json::json;

fn templates(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

fn with_templates(dir: &tempfile::TempDir) -> frontmcp_auth::ServerDefinition {
    definition_with(
        json!({}),
        json!({"ui": {"templates_dir": dir.path().display().to_string()}}),
    )
}

fn start_up_error(dir: &tempfile::TempDir) -> String {
    common::start_up_error(&with_templates(dir))
}

const BRANDED_LOGIN: &str = r#"{% extends "layout.html" %}{% block content %}<h1>ACME sign-in for {{ client_name }}</h1>
<form method="post" action="{{ action }}">{{ hidden_fields }}{% for field in fields %}<input name="{{ field.name }}" type="{{ field.input_type }}">{% endfor %}<button>Go</button></form>{% endblock %}"#;

#[tokio::test]
async fn an_overriding_template_is_served_with_the_server_s_headers_and_escaping() {
    let dir = templates(&[("login.html", BRANDED_LOGIN)]);
    let server = Local::start_definition(&with_templates(&dir), &[]).await;
    let reply = server
        .register(json!({"redirect_uris": [common::local::REDIRECT], "token_endpoint_auth_method": "none", "client_name": "<b>Evil</b>"}))
        .await;
    let client_id = reply.json()["client_id"].as_str().expect("id").to_owned();
    let page = server.authorize(&client_id, &[]).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("ACME sign-in for &lt;b&gt;Evil"),
        "{}",
        page.text
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|csp| csp.contains("default-src 'none'"))
    );
    let done = server.login(&page, "ada@example.com").await;
    assert_eq!(done.status, 302, "the branded form signs in: {}", done.text);
}

#[tokio::test]
async fn an_overriding_template_cannot_drop_the_csrf_check() {
    // The hidden fields sit in a second, empty form: what the visible form posts has no CSRF
    // token, and the server refuses it.
    let careless = r#"{% extends "layout.html" %}{% block content %}<form id="unused">{{ hidden_fields }}</form>
<form method="post" action="{{ action }}"><input name="email"><button>Go</button></form>{% endblock %}"#;
    let dir = templates(&[("login.html", careless)]);
    let server = Local::start_definition(&with_templates(&dir), &[]).await;
    let client_id = server.public_client().await;
    let page = server.authorize(&client_id, &[]).await;
    let without_token = form(&[
        ("pending_auth_id", &page.field("pending_auth_id")),
        ("email", "ada@example.com"),
    ]);
    let refused = server
        .post_form(
            "/oauth/callback",
            without_token,
            &[("cookie", &page.cookies())],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let forged = form(&[
        ("pending_auth_id", &page.field("pending_auth_id")),
        ("csrf_token", "made-up-token"),
        ("email", "ada@example.com"),
    ]);
    let refused = server
        .post_form(
            "/oauth/callback",
            forged,
            &[("cookie", "fmcp_csrf_x=made-up-token")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

#[test]
fn a_template_without_the_hidden_fields_stops_start_up() {
    let dir = templates(&[(
        "consent.html",
        r#"{% extends "layout.html" %}{% block content %}<form method="post" action="{{ action }}"><button>Allow</button></form>{% endblock %}"#,
    )]);
    let error = start_up_error(&dir);
    assert!(
        error.contains("consent.html does not render {{ hidden_fields }}"),
        "{error}"
    );
}

#[test]
fn a_broken_template_stops_start_up_naming_the_file() {
    let dir = templates(&[
        (
            "login.html",
            "{% extends \"layout.html\" %}{% block content %}{% if %}{% endblock %}",
        ),
        ("error.html", "{{ message | no_such_filter }}"),
    ]);
    let error = start_up_error(&dir);
    assert!(error.contains("the page templates are broken"), "{error}");
    assert!(error.contains("login.html"), "{error}");
    assert!(error.contains("error.html"), "{error}");
    let missing = tempfile::tempdir().expect("dir");
    let gone = missing.path().join("nowhere");
    let error = common::start_up_error(&definition_with(
        json!({}),
        json!({"ui": {"templates_dir": gone.display().to_string()}}),
    ));
    assert!(error.contains("is not a directory"), "{error}");
}
