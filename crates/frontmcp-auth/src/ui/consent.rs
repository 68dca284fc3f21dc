//! The consent page: the tools of every app (grouped by app when `group_by_app`), checkboxes
//! posted to `/oauth/consent`. No script runs on it (the CSP forbids scripts): select-all is a
//! submit button of its own.

use axum::response::Response;
use http::StatusCode;
use url::Url;

use super::login::form_target;
use super::{escape, html, page};
use crate::oauth::ConsentPrompt;

/// The consent page for `prompt`, whose form posts to `action`.
pub(crate) fn consent_page(prompt: &ConsentPrompt, action: &str) -> Response {
    let redirect = Url::parse(&prompt.redirect_uri).ok();
    let destination = redirect
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| prompt.redirect_uri.clone());
    let mut body = format!(
        "<h1>Allow access</h1>\
<p><strong>{client}</strong> (returning to <strong>{destination}</strong>) asks to use these tools on your behalf. It can call only the ones you select.</p>",
        client = escape(&prompt.client_name),
        destination = escape(&destination),
    );
    if let Some(message) = &prompt.custom_message {
        body.push_str(&format!("<p class=\"notice\">{}</p>", escape(message)));
    }
    if let Some(error) = &prompt.error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"pending_auth_id\" value=\"{pending}\">\
<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">",
        action = escape(action),
        pending = escape(&prompt.pending_id),
        csrf = escape(&prompt.csrf_token),
    ));
    for (group, tools) in &prompt.groups {
        body.push_str("<fieldset>");
        if !group.is_empty() {
            body.push_str(&format!("<legend>{}</legend>", escape(group)));
        }
        for tool in tools {
            let checked = if prompt.selected.contains(&tool.name) {
                " checked"
            } else {
                ""
            };
            let description = match (&tool.description, prompt.show_descriptions) {
                (Some(text), true) => format!("<span class=\"muted\">{}</span>", escape(text)),
                _ => String::new(),
            };
            body.push_str(&format!(
                "<label class=\"tool\"><input type=\"checkbox\" name=\"tool\" value=\"{name}\"{checked}> <code>{name}</code> {description}</label>",
                name = escape(&tool.name),
            ));
        }
        body.push_str("</fieldset>");
    }
    body.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow selected tools</button>",
    );
    if prompt.allow_select_all {
        body.push_str(
            "<button type=\"submit\" name=\"decision\" value=\"all\" class=\"secondary\">Allow all tools</button>",
        );
    }
    body.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button></form>",
    );
    let status = if prompt.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let targets: Vec<String> = redirect.map(|u| form_target(&u)).into_iter().collect();
    html(status, page("Allow access", &body), &targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::CatalogTool;

    #[tokio::test]
    async fn tool_descriptions_and_client_names_show_as_text() {
        let prompt = ConsentPrompt {
            pending_id: "p".into(),
            csrf_token: "t".into(),
            client_name: "<b>Evil</b>".into(),
            redirect_uri: "http://127.0.0.1:5555/cb".into(),
            groups: vec![(
                "billing<".into(),
                vec![CatalogTool {
                    app: "billing<".into(),
                    name: "pay\"".into(),
                    description: Some("<script>alert(1)</script>".into()),
                }],
            )],
            selected: vec!["pay\"".into()],
            show_descriptions: true,
            allow_select_all: false,
            custom_message: Some("<i>hi</i>".into()),
            error: None,
        };
        let response = consent_page(&prompt, "/oauth/consent");
        assert_eq!(response.headers()[http::header::X_FRAME_OPTIONS], "DENY");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&body);
        for raw in ["<script>", "<b>Evil", "<i>hi", "billing<", "pay\""] {
            assert!(!text.contains(raw), "{raw} unescaped in {text}");
        }
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(text.contains("value=\"pay&quot;\" checked"));
        assert!(
            !text.contains("value=\"all\""),
            "no select-all when not allowed"
        );
    }
}
