//! The gates every request to an app passes, for tools, prompts and resources alike: the
//! token's consent, progressive authorization of the app, and (for anonymous callers of a public
//! server) the public access lists.
//!
//! A `consent` claim names tools by name, prompts as `prompt:{name}` and resources as
//! `resource:{uri}` or `resource:{uri template}` (covering every URI the template matches).

use frontmcp_auth_config::model::ToolAccess;
use rmcp::model::ErrorCode;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::Value;

use super::uri_template;
use crate::guard::AuthContext;

/// JSON-RPC error code of a request for a tool, prompt or resource the token's consent does not
/// include.
pub const TOOL_NOT_CONSENTED: i32 = -32003;
/// JSON-RPC error code of a request to an app the user has not authorized yet.
pub const AUTHORIZATION_REQUIRED: i32 = -32004;

/// The consent entry prefix of a prompt.
pub const PROMPT_PREFIX: &str = "prompt:";
/// The consent entry prefix of a resource or resource template.
pub const RESOURCE_PREFIX: &str = "resource:";

/// What a request or a listed entry is, for the gates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item<'a> {
    Tool(&'a str),
    Prompt(&'a str),
    /// A resource by URI (or a template by its URI template).
    Resource(&'a str),
}

impl Item<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Item::Tool(_) => "tool",
            Item::Prompt(_) => "prompt",
            Item::Resource(_) => "resource",
        }
    }

    fn name(&self) -> &str {
        match self {
            Item::Tool(name) | Item::Prompt(name) | Item::Resource(name) => name,
        }
    }

    /// Whether the consent entry `entry` covers this item.
    fn covered_by(&self, entry: &str) -> bool {
        match self {
            Item::Tool(name) => entry == *name,
            Item::Prompt(name) => entry.strip_prefix(PROMPT_PREFIX) == Some(*name),
            Item::Resource(uri) => entry.strip_prefix(RESOURCE_PREFIX).is_some_and(|granted| {
                granted == *uri
                    || (uri_template::is_template(granted) && uri_template::matches(granted, uri))
            }),
        }
    }
}

pub(crate) fn auth_of(context: &RequestContext<RoleServer>) -> Option<&AuthContext> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AuthContext>())
}

/// Who is calling, as a listing's owner: the subject and client (empty without a caller).
pub(crate) fn caller(context: &RequestContext<RoleServer>) -> String {
    auth_of(context).map_or_else(String::new, |auth| {
        format!(
            "{}\n{}",
            auth.subject,
            auth.client_id.as_deref().unwrap_or("")
        )
    })
}

/// Whether the array claim `value` lists `item`; `None` when it is not an array.
fn lists(value: Option<&Value>, item: &str) -> Option<bool> {
    Some(value?.as_array()?.iter().any(|v| v.as_str() == Some(item)))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The caller's consent claim, when its token carries one (without it, everything is allowed).
fn consent_claim(context: &RequestContext<RoleServer>) -> Option<&Vec<Value>> {
    auth_of(context)?.claim("consent")?.as_array()
}

/// Whether the caller's consent covers `item`. Checked without copying the claim.
pub(crate) fn consents(context: &RequestContext<RoleServer>, item: Item<'_>) -> bool {
    consent_claim(context).is_none_or(|granted| {
        granted
            .iter()
            .any(|entry| entry.as_str().is_some_and(|e| item.covered_by(e)))
    })
}

/// `Err(TOOL_NOT_CONSENTED)` when the caller's consent does not cover `item`.
pub(crate) fn check_consent(
    context: &RequestContext<RoleServer>,
    item: Item<'_>,
) -> Result<(), ErrorData> {
    if consents(context, item) {
        return Ok(());
    }
    let auth = auth_of(context);
    let granted = strings(auth.and_then(|a| a.claim("consent")));
    let authorize = auth
        .and_then(|a| a.claim("iss"))
        .and_then(Value::as_str)
        .map(|iss| format!("{iss}/oauth/authorize"));
    let message = match item {
        Item::Tool(_) => "TOOL_NOT_CONSENTED",
        Item::Prompt(_) => "PROMPT_NOT_CONSENTED",
        Item::Resource(_) => "RESOURCE_NOT_CONSENTED",
    };
    Err(ErrorData::new(
        ErrorCode(TOOL_NOT_CONSENTED),
        message,
        Some(serde_json::json!({
            item.kind(): item.name(),
            "consented": granted,
            "authorization_endpoint": authorize,
            "how_to_reauthorize": format!("start a new authorization and select this {} on the consent screen", item.kind()),
        })),
    ))
}

/// What progressive authorization says about a request to `app`.
pub(crate) enum AppGate {
    /// Authorized (or no `authorized_apps` claim): serve as the user.
    Open,
    /// Skipped, and skipped apps run anonymously: serve with this context.
    Anonymous(AuthContext),
    /// Not authorized: the error to answer.
    Refused(ErrorData),
}

/// The URL that authorizes `app` for the caller's client: everything the server knows; the
/// client adds its `redirect_uri`, PKCE `code_challenge` and `state`.
fn authorization_url(auth: &AuthContext, app: &str) -> Option<String> {
    let issuer = auth.claim("iss")?.as_str()?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("response_type", "code");
    if let Some(client) = &auth.client_id {
        query.append_pair("client_id", client);
    }
    query.append_pair("app", app);
    query.append_pair("code_challenge_method", "S256");
    if !auth.scopes.is_empty() {
        query.append_pair("scope", &auth.scopes.join(" "));
    }
    if let Some(resource) = auth.claim("aud").and_then(|a| a.as_str()) {
        query.append_pair("resource", resource);
    }
    Some(format!("{issuer}/oauth/authorize?{}", query.finish()))
}

/// Progressive authorization of a request for `item` of `app`.
pub(crate) fn app_gate(
    context: &RequestContext<RoleServer>,
    app: &str,
    item: Item<'_>,
    anonymous_scopes: &[String],
) -> AppGate {
    let Some(auth) = auth_of(context) else {
        return AppGate::Open;
    };
    // Checked without copying the claim: this runs on every call.
    if lists(auth.claim("authorized_apps"), app).is_none_or(|listed| listed) {
        return AppGate::Open;
    }
    if lists(auth.claim("skipped_apps"), app) == Some(true) {
        let subject = format!("anon:{}", auth.session_id.as_deref().unwrap_or("skipped"));
        return AppGate::Anonymous(AuthContext::anonymous(
            subject,
            anonymous_scopes.to_vec(),
            auth.expires_at,
        ));
    }
    AppGate::Refused(ErrorData::new(
        ErrorCode(AUTHORIZATION_REQUIRED),
        "AUTHORIZATION_REQUIRED",
        Some(serde_json::json!({
            "app": app,
            item.kind(): item.name(),
            "authorized_apps": strings(auth.claim("authorized_apps")),
            "authorization_url": authorization_url(auth, app),
            "how_to_authorize": "open authorization_url with your redirect_uri, a new PKCE code_challenge and state; the token you get back covers this app and the ones already authorized",
        })),
    ))
}

/// The context a request for `item` of `app` runs with: the caller's, the anonymous one of a
/// skipped app, or the refusal of an app not authorized.
pub(crate) fn gated(
    mut context: RequestContext<RoleServer>,
    app: &str,
    item: Item<'_>,
    anonymous_scopes: &[String],
) -> Result<RequestContext<RoleServer>, ErrorData> {
    match app_gate(&context, app, item, anonymous_scopes) {
        AppGate::Open => {}
        AppGate::Refused(error) => return Err(error),
        AppGate::Anonymous(anonymous) => {
            if let Some(parts) = context.extensions.get_mut::<http::request::Parts>() {
                parts.extensions.insert(anonymous);
            }
        }
    }
    Ok(context)
}

/// Whether a listed `item` of `app` is shown to the caller: its consent covers it and, for
/// prompts and resources, its token authorizes the app (a tool of an app not authorized yet stays
/// listed: calling it is how a client learns the app's authorization URL).
pub(crate) fn listed(context: &RequestContext<RoleServer>, app: &str, item: Item<'_>) -> bool {
    consents(context, item)
        && (matches!(item, Item::Tool(_))
            || !matches!(app_gate(context, app, item, &[]), AppGate::Refused(_)))
}

/// What a public server shows callers without a token.
#[derive(Debug, Clone, Default)]
pub(crate) struct PublicLists {
    pub tools: ToolAccess,
    pub prompts: ToolAccess,
    pub resources: ToolAccess,
}

impl PublicLists {
    /// Whether an anonymous caller may see and use `item`.
    pub(crate) fn allows(&self, item: Item<'_>) -> bool {
        let (access, name) = match item {
            Item::Tool(name) => (&self.tools, name),
            Item::Prompt(name) => (&self.prompts, name),
            Item::Resource(uri) => (&self.resources, uri),
        };
        access_allows(access, name, matches!(item, Item::Resource(_)))
    }
}

/// Whether `access` lets a caller without a token reach `name` (for resources, a URI: listed
/// itself, or matched by a listed URI template).
pub fn access_allows(access: &ToolAccess, name: &str, resource: bool) -> bool {
    match access {
        ToolAccess::All => true,
        ToolAccess::Only(names) => names.iter().any(|allowed| {
            allowed == name
                || (resource
                    && uri_template::is_template(allowed)
                    && uri_template::matches(allowed, name))
        }),
    }
}
