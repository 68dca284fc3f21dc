//! The login page of `local` mode: email (required unless `require_email = false`) and name,
//! posted to `/oauth/callback` with the pending authorization's id and CSRF token.

use axum::response::Response;
use http::StatusCode;
use url::Url;

use super::{escape, html, page};
use crate::oauth::LoginPrompt;

/// The login page for `prompt`, whose form posts to `action`.
pub(crate) fn login_page(prompt: &LoginPrompt, action: &str) -> Response {
    let redirect = Url::parse(&prompt.redirect_uri).ok();
    let destination = redirect
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| prompt.redirect_uri.clone());
    let error = prompt
        .error
        .as_deref()
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let (required, email_label) = if prompt.require_email {
        (" required", "Email")
    } else {
        ("", "Email (optional)")
    };
    let apps = apps_block(prompt);
    let body = format!(
        "<h1>Sign in</h1>\
<p><strong>{client}</strong> wants to use this server on your behalf. You will return to <strong>{destination}</strong>.</p>\
{error}\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"pending_auth_id\" value=\"{pending}\">\
<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
<label for=\"email\">{email_label}</label><input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"email\" value=\"{email}\"{required}>\
<label for=\"name\">Name (optional)</label><input id=\"name\" type=\"text\" name=\"name\" autocomplete=\"name\" value=\"{name}\">\
{apps}<button type=\"submit\">Continue</button></form>",
        client = escape(&prompt.client_name),
        destination = escape(&destination),
        action = escape(action),
        pending = escape(&prompt.pending_id),
        csrf = escape(&prompt.csrf_token),
        email = escape(&prompt.email),
        name = escape(&prompt.name),
    );
    let status = if prompt.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let targets: Vec<String> = redirect.map(|u| form_target(&u)).into_iter().collect();
    html(status, page("Sign in", &body), &targets)
}

/// The apps this login authorizes (progressive authorization): checkboxes when the user may
/// skip some, else a list.
fn apps_block(prompt: &LoginPrompt) -> String {
    if prompt.apps.is_empty() {
        return String::new();
    }
    let mut block = String::from("<fieldset><legend>Apps this authorizes</legend>");
    if prompt.apps_skippable {
        block.push_str("<input type=\"hidden\" name=\"apps_shown\" value=\"1\">");
        for app in &prompt.apps {
            block.push_str(&format!(
                "<label class=\"tool\"><input type=\"checkbox\" name=\"app.{id}\" value=\"on\" checked> {id}</label>",
                id = escape(app)
            ));
        }
    } else {
        for app in &prompt.apps {
            block.push_str(&format!("<p class=\"app\">{}</p>", escape(app)));
        }
    }
    block.push_str("</fieldset>");
    block
}

/// The CSP source that lets the login form's redirect reach the client: its origin, or its
/// scheme for a private-use URI scheme (`com.example.app:`).
pub(super) fn form_target(url: &Url) -> String {
    match url.scheme() {
        "http" | "https" => url.origin().ascii_serialization(),
        scheme => format!("{scheme}:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hostile_client_names_show_as_text() {
        let prompt = LoginPrompt {
            pending_id: String::from("p1"),
            csrf_token: String::from("t1"),
            client_name: String::from("<img src=x onerror=alert(1)>"),
            redirect_uri: String::from("http://127.0.0.1:5555/cb"),
            require_email: true,
            error: None,
            email: String::from("\"><script>"),
            name: String::new(),
            apps: vec![String::from("<b>app</b>")],
            apps_skippable: true,
        };
        let response = login_page(&prompt, "/oauth/callback");
        let csp = response.headers()[http::header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            csp.contains("form-action 'self' http://127.0.0.1:5555"),
            "{csp}"
        );
        assert_eq!(
            form_target(&Url::parse("com.example.app:/cb").expect("url")),
            "com.example.app:"
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("<img src=x"), "{text}");
        assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!text.contains("\"><script>"));
        assert!(
            text.contains("name=\"app.&lt;b&gt;app&lt;/b&gt;\""),
            "{text}"
        );
    }
}
