//! The login, consent and passkey pages: what each template is given.

use axum::response::Response;
use http::StatusCode;
use minijinja::{Value, context};
use url::Url;

use super::pages::{Pages, hidden_fields, script_json};
use super::{Scripts, html};
use crate::login::FieldKind;
use crate::oauth::{ConsentPrompt, LoginPrompt, PasskeyMode, PasskeyPrompt};

/// Where the user returns to, as shown: the redirect URI's host.
fn destination(redirect: Option<&Url>, raw: &str) -> String {
    redirect
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| raw.to_owned())
}

/// The CSP source that lets a form's redirect reach the client: its origin, or its scheme for
/// a private-use URI scheme (`com.example.app:`).
pub(super) fn form_target(url: &Url) -> String {
    match url.scheme() {
        "http" | "https" => url.origin().ascii_serialization(),
        scheme => format!("{scheme}:"),
    }
}

fn targets(redirect: Option<&Url>) -> Vec<String> {
    redirect.map(form_target).into_iter().collect()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

impl Pages {
    /// The login page for `prompt`, whose forms post to `action`.
    pub(crate) fn login_page(&self, prompt: &LoginPrompt, action: &str) -> Response {
        let redirect = Url::parse(&prompt.redirect_uri).ok();
        let fields: Vec<Value> = prompt
            .fields
            .iter()
            .map(|(field, value)| {
                let input_type = match field.kind {
                    FieldKind::Text => "text",
                    FieldKind::Email => "email",
                    FieldKind::Password => "password",
                };
                let value = if field.kind == FieldKind::Password {
                    ""
                } else {
                    value.as_str()
                };
                context! {
                    name => field.name.clone(), label => field.label.clone(), input_type,
                    autocomplete => field.autocomplete.clone(), value, required => field.required,
                }
            })
            .collect();
        let page = self.render(
            "login.html",
            context! {
                title => "Sign in",
                hidden_fields => hidden_fields(&prompt.pending_id, &prompt.csrf_token),
                client_name => prompt.client_name.clone(), client_host => prompt.client_host.clone(),
                destination => destination(redirect.as_ref(), &prompt.redirect_uri),
                action, fields, notice => prompt.notice.clone(), error => prompt.error.clone(),
                apps => prompt.apps.clone(), apps_skippable => prompt.apps_skippable,
                passkeys => prompt.passkeys,
                providers => prompt.providers.iter().map(|p| context! {
                    id => p.id.clone(), name => p.name.clone(), required => p.required,
                }).collect::<Vec<_>>(),
                min_providers => prompt.min_providers,
            },
        );
        let mut form_targets = targets(redirect.as_ref());
        form_targets.extend(prompt.form_targets.iter().cloned());
        html(status(prompt.status), page, &form_targets, Scripts::None)
    }

    /// The consent page for `prompt`, whose form posts to `action`.
    pub(crate) fn consent_page(&self, prompt: &ConsentPrompt, action: &str) -> Response {
        let redirect = Url::parse(&prompt.redirect_uri).ok();
        let groups: Vec<Value> = prompt
            .groups
            .iter()
            .map(|(name, tools)| {
                let tools: Vec<Value> = tools
                    .iter()
                    .map(|tool| {
                        context! {
                            name => tool.name.clone(), description => tool.description.clone(),
                            selected => prompt.selected.contains(&tool.name),
                        }
                    })
                    .collect();
                context! { name => name.clone(), tools }
            })
            .collect();
        let page = self.render(
            "consent.html",
            context! {
                title => "Allow access",
                hidden_fields => hidden_fields(&prompt.pending_id, &prompt.csrf_token),
                client_name => prompt.client_name.clone(), client_host => prompt.client_host.clone(),
                destination => destination(redirect.as_ref(), &prompt.redirect_uri),
                action, groups, custom_message => prompt.custom_message.clone(), error => prompt.error.clone(),
                show_descriptions => prompt.show_descriptions,
                allow_select_all => prompt.allow_select_all,
                scopes => prompt.scopes.clone(),
            },
        );
        let code = if prompt.error.is_some() { 400 } else { 200 };
        html(
            status(code),
            page,
            &targets(redirect.as_ref()),
            Scripts::None,
        )
    }

    /// The passkey page (register after a sign-in, or sign in with one), posting to `action`
    /// and running the ceremony with the script at `script`.
    pub(crate) fn passkey_page(
        &self,
        prompt: &PasskeyPrompt,
        action: &str,
        script: &str,
    ) -> Response {
        let redirect = Url::parse(&prompt.redirect_uri).ok();
        let mode = match prompt.mode {
            PasskeyMode::Register => "register",
            PasskeyMode::Authenticate => "authenticate",
        };
        let page = self.render(
            "passkey.html",
            context! {
                title => if prompt.mode == PasskeyMode::Register { "Add a passkey" } else { "Use your passkey" },
                hidden_fields => hidden_fields(&prompt.pending_id, &prompt.csrf_token),
                client_name => prompt.client_name.clone(), action, mode, username => prompt.username.clone(),
                options => script_json(&prompt.options), script, error => prompt.error.clone(),
            },
        );
        let code = if prompt.error.is_some() { 400 } else { 200 };
        html(
            status(code),
            page,
            &targets(redirect.as_ref()),
            Scripts::SameOrigin,
        )
    }
}
