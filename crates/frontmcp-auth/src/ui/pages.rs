//! The pages as minijinja templates (autoescaped): the built-in ones, each replaceable by a
//! file of the same name in `ui.templates_dir`. Whatever a template says, the server keeps
//! control of what matters: the hidden fields (pending authorization id and CSRF token) are
//! rendered by the server and checked on every submission, and the security headers are set
//! outside the template. Every template is rendered once at start-up with sample data, so a
//! broken one stops the server rather than the first login.

use std::path::Path;

use minijinja::{Environment, Value, context};

/// The templates an operator may replace, with the built-in text of each.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("login.html", include_str!("templates/login.html")),
    ("consent.html", include_str!("templates/consent.html")),
    ("passkey.html", include_str!("templates/passkey.html")),
    ("error.html", include_str!("templates/error.html")),
];

/// Pages whose forms post back to the server: each must render `{{ hidden_fields }}`.
const FORM_PAGES: &[&str] = &["login.html", "consent.html", "passkey.html"];

/// The marker the start-up check looks for in a rendered form page.
const SAMPLE_CSRF: &str = "startup-check-csrf-token";

/// The page templates of one server.
#[derive(Debug)]
pub struct Pages {
    env: Environment<'static>,
}

impl Default for Pages {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Pages {
    /// The built-in pages.
    pub fn builtin() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The built-in templates are tested; a failure here is a build defect.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(target: "frontmcp_auth::ui", "built-in template {name}: {error}");
            }
        }
        Self { env }
    }

    /// The built-in pages with the files of `dir` in place of the built-in ones of the same
    /// name, each checked by rendering it with sample data.
    ///
    /// # Errors
    ///
    /// Every template that does not parse or render, or a form page that leaves out
    /// `{{ hidden_fields }}`, with its file and the reason.
    pub fn load(dir: Option<&Path>) -> Result<Self, Vec<String>> {
        let mut pages = Self::builtin();
        let mut problems = Vec::new();
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(vec![format!(
                    "ui.templates_dir {} is not a directory",
                    dir.display()
                )]);
            }
            for (name, _) in TEMPLATES {
                let path = dir.join(name);
                if !path.exists() {
                    continue;
                }
                match std::fs::read_to_string(&path) {
                    Ok(source) => {
                        if let Err(error) = pages.env.add_template_owned(*name, source) {
                            problems.push(format!("{}: {error}", path.display()));
                        }
                    }
                    Err(error) => problems.push(format!("{}: {error}", path.display())),
                }
            }
        }
        for (name, _) in TEMPLATES {
            if *name == "layout.html" {
                continue;
            }
            match pages.try_render(name, sample(name)) {
                Ok(html) if FORM_PAGES.contains(name) && !html.contains(SAMPLE_CSRF) => {
                    problems.push(format!(
                        "{name} does not render {{{{ hidden_fields }}}} inside its form: the pending authorization id and CSRF token would be missing"
                    ));
                }
                Ok(_) => {}
                Err(error) => problems.push(format!("{name}: {error:#}")),
            }
        }
        if problems.is_empty() {
            Ok(pages)
        } else {
            Err(problems)
        }
    }

    fn try_render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    /// Renders `name` with `ctx` (plus the shared style); a template that fails at run time
    /// (after passing the start-up check) falls back to a plain error text and is logged.
    pub fn render(&self, name: &str, ctx: Value) -> String {
        let ctx = context! { style => Value::from_safe_string(super::STYLE.to_owned()), ..ctx };
        self.try_render(name, ctx).unwrap_or_else(|error| {
            tracing::error!(target: "frontmcp_auth::ui", "template {name} failed: {error:#}");
            String::from("<!doctype html><title>Error</title><p>This page cannot be shown; start again from your application.</p>")
        })
    }
}

/// The hidden fields every form page carries, rendered by the server.
pub fn hidden_fields(pending_id: &str, csrf_token: &str) -> Value {
    Value::from_safe_string(format!(
        "<input type=\"hidden\" name=\"pending_auth_id\" value=\"{}\"><input type=\"hidden\" name=\"csrf_token\" value=\"{}\">",
        super::escape(pending_id),
        super::escape(csrf_token)
    ))
}

/// JSON placed inside a `<script type="application/json">` block: `<`, `>` and `&` escaped
/// so that no text can close the block.
pub fn script_json(json: &str) -> Value {
    Value::from_safe_string(
        json.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
    )
}

fn sample(name: &str) -> Value {
    let hidden = hidden_fields("startup-check", SAMPLE_CSRF);
    let style = Value::from_safe_string(String::new());
    match name {
        "login.html" => context! {
            title => "Sign in", style, hidden_fields => hidden, client_name => "Client",
            destination => "localhost", action => "/oauth/callback", notice => "notice",
            error => "error", passkeys => true, apps => vec!["app"], apps_skippable => true,
            providers => vec![context! { id => "github", name => "GitHub", required => true }],
            min_providers => 1,
            fields => vec![context! { name => "username", label => "Username", input_type => "text",
                autocomplete => "username", value => "", required => true }],
        },
        "consent.html" => context! {
            title => "Allow access", style, hidden_fields => hidden, client_name => "Client",
            destination => "localhost", action => "/oauth/consent", custom_message => "message",
            error => "error", show_descriptions => true, allow_select_all => true,
            scopes => vec!["profile"],
            groups => vec![context! { name => "app", tools => vec![context! {
                name => "tool", description => "description", selected => true }] }],
        },
        "passkey.html" => context! {
            title => "Passkey", style, hidden_fields => hidden, client_name => "Client",
            action => "/oauth/passkey", mode => "register", username => "user",
            options => script_json("{}"), script => "/oauth/passkey.js", error => "error",
        },
        _ => context! { title => "Error", style, message => "message", ok => false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_pass_the_start_up_check() {
        assert!(Pages::load(None).is_ok());
    }

    #[test]
    fn json_in_a_script_block_cannot_close_it() {
        let value = script_json("{\"a\":\"</script><b>&\"}");
        let text = value.to_string();
        assert!(!text.contains("</script>"), "{text}");
        assert!(!text.contains('&') || text.contains("\\u0026"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).expect("still JSON")["a"],
            "</script><b>&"
        );
    }
}
