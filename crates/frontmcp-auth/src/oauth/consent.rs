//! The consent stage: after login, the user picks which tools the client may call; the choice
//! becomes the token's `consent` claim, and (with `remember_consent`) is kept per user and
//! client, so the screen is skipped next time unless a tool appeared since.

use super::flow::{
    CallbackOutcome, ConsentPrompt, ErrorPage, PENDING_KEEP_EXTRA, REMEMBER_SECONDS,
    SCOPES_SHOWN_FIELD, csrf_matches,
};
use super::server::AuthorizationServer;
use crate::mcp::CatalogTool;
use crate::secrets::{digest, random_token};
use crate::store::{AppChoice, ConsentRecord, Identity, PendingAuthorization};

/// The most tool selections one consent form may carry.
const MAX_SELECTIONS: usize = 512;

/// The consent form as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentInput {
    /// `pending_auth_id`.
    pub pending_auth_id: String,
    /// The form's CSRF token.
    pub csrf_token: String,
    /// The CSRF cookie.
    pub csrf_cookie: Option<String>,
    /// The tools checked.
    pub tools: Vec<String>,
    /// The scopes checked, when the form listed them (`scopes_shown`).
    pub scopes: Option<Vec<String>>,
    /// `decision=deny`: the user refused.
    pub denied: bool,
    /// `decision=all`: every tool offered (the select-all control).
    pub all: bool,
}

/// Reads a consent form (`tool` may repeat; everything else once).
///
/// # Errors
///
/// A 400 page for a malformed or oversized form.
pub fn parse_consent(
    body: &[u8],
    csrf_cookie: impl Fn(&str) -> Option<String>,
) -> Result<ConsentInput, ErrorPage> {
    let bad = |message: &str| ErrorPage::bad_request("Invalid consent request", message);
    let mut single: Vec<(String, String)> = Vec::new();
    let mut tools = Vec::new();
    let mut scopes = Vec::new();
    for (count, (name, value)) in url::form_urlencoded::parse(body).enumerate() {
        if count > MAX_SELECTIONS + 8 || value.len() > 512 {
            return Err(bad("the form is too large"));
        }
        if name == "tool" {
            if !tools.iter().any(|t| *t == value) {
                tools.push(value.into_owned());
            }
        } else if name == "scope" {
            if !scopes.iter().any(|s| *s == value) {
                scopes.push(value.into_owned());
            }
        } else if single.iter().any(|(n, _)| *n == name) {
            return Err(bad(&format!("the `{name}` field is repeated")));
        } else {
            single.push((name.into_owned(), value.into_owned()));
        }
    }
    let field = |name: &str| {
        single
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let pending_auth_id = field("pending_auth_id")
        .filter(|id| super::flow::pending_id_well_formed(id))
        .ok_or_else(|| bad("pending_auth_id is missing or malformed"))?;
    Ok(ConsentInput {
        csrf_cookie: csrf_cookie(&pending_auth_id),
        pending_auth_id,
        csrf_token: field("csrf_token").unwrap_or_default(),
        tools,
        scopes: field(SCOPES_SHOWN_FIELD).map(|_| scopes),
        denied: field("decision").as_deref() == Some("deny"),
        all: field("decision").as_deref() == Some("all"),
    })
}

/// What the consent stage decided.
#[derive(Debug)]
pub(crate) enum ConsentDecision {
    /// Go on to the code with this `consent` claim (`None`: consent is off).
    Granted(Option<Vec<String>>),
    /// Show the consent screen.
    Ask(Box<ConsentPrompt>),
}

impl AuthorizationServer {
    /// The tools the consent screen offers: every tool but the excluded ones.
    async fn offered_tools(&self) -> Result<Vec<CatalogTool>, ErrorPage> {
        let Some(catalog) = &self.catalog else {
            return Ok(Vec::new());
        };
        let tools = catalog.tools().await.map_err(|error| {
            tracing::error!(target: "frontmcp_auth::oauth", "cannot list tools for consent: {error}");
            ErrorPage {
                status: 503,
                title: String::from("Temporarily unavailable"),
                message: String::from("the list of tools is unavailable; try again shortly"),
            }
        })?;
        let excluded = &self.auth.consent.excluded_tools;
        Ok(tools
            .into_iter()
            .filter(|tool| !excluded.contains(&tool.name))
            .collect())
    }

    /// The `consent` claim for `selected`: the selection plus the excluded tools, which are
    /// always granted.
    fn consent_claim(&self, selected: &[String]) -> Vec<String> {
        let mut claim: Vec<String> = selected.to_vec();
        for tool in &self.auth.consent.excluded_tools {
            if !claim.contains(tool) {
                claim.push(tool.clone());
            }
        }
        claim
    }

    /// Stage consent, after login: skipped when consent is off or a remembered choice covers
    /// every tool offered now; otherwise the screen, with the identity kept on the pending
    /// authorization and a new CSRF token.
    pub(crate) async fn consent_stage(
        &self,
        pending: &PendingAuthorization,
        identity: &Identity,
        apps: &Option<AppChoice>,
    ) -> Result<ConsentDecision, ErrorPage> {
        let options = &self.auth.consent;
        if !options.enabled {
            return Ok(ConsentDecision::Granted(None));
        }
        let offered = self.offered_tools().await?;
        if options.remember_consent {
            let remembered = self
                .store
                .consent(&identity.subject, &pending.client_id)
                .await
                .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
            let baseline = self.scope_policy().baseline;
            if let Some(remembered) = remembered
                && offered.iter().all(|t| remembered.offered.contains(&t.name))
                && pending
                    .scope
                    .iter()
                    .all(|s| baseline.contains(s) || remembered.scopes.contains(s))
            {
                let still: Vec<String> = remembered
                    .tools
                    .into_iter()
                    .filter(|t| offered.iter().any(|o| &o.name == t))
                    .collect();
                return Ok(ConsentDecision::Granted(Some(self.consent_claim(&still))));
            }
        }
        let csrf_token = random_token();
        let mut waiting = pending.clone();
        waiting.identity = Some(identity.clone());
        waiting.app_choice = apps.clone();
        waiting.csrf_hash = digest(&csrf_token);
        self.store
            .put_pending(waiting, pending.expires_at + PENDING_KEEP_EXTRA)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        let selected = options
            .default_selected_tools
            .iter()
            .filter(|t| offered.iter().any(|o| &o.name == *t))
            .cloned()
            .collect();
        Ok(ConsentDecision::Ask(Box::new(self.consent_prompt(
            pending, csrf_token, offered, selected, None,
        ))))
    }

    fn consent_prompt(
        &self,
        pending: &PendingAuthorization,
        csrf_token: String,
        offered: Vec<CatalogTool>,
        selected: Vec<String>,
        error: Option<String>,
    ) -> ConsentPrompt {
        let options = &self.auth.consent;
        let mut groups: Vec<(String, Vec<CatalogTool>)> = Vec::new();
        for tool in offered {
            let group = if options.group_by_app {
                tool.app.clone()
            } else {
                String::new()
            };
            match groups.iter_mut().find(|(name, _)| *name == group) {
                Some((_, tools)) => tools.push(tool),
                None => groups.push((group, vec![tool])),
            }
        }
        ConsentPrompt {
            pending_id: pending.id.clone(),
            csrf_token,
            client_name: pending.client_name.clone(),
            client_host: super::flow::client_host(&pending.client_id),
            redirect_uri: pending.redirect_uri.clone(),
            groups,
            selected,
            scopes: pending.scope.clone(),
            show_descriptions: options.show_descriptions,
            allow_select_all: options.allow_select_all,
            custom_message: options.custom_message.clone(),
            error,
        }
    }

    /// `POST /oauth/consent`: the user's choice. A denial goes back to the client as
    /// `access_denied`; an empty selection under `require_selection` shows the screen again;
    /// tools the screen did not offer are refused.
    ///
    /// # Errors
    ///
    /// The 400/403 page for an unknown, expired or forged submission.
    pub async fn consent(&self, input: ConsentInput) -> Result<CallbackOutcome, ErrorPage> {
        let bad = |message: &str| ErrorPage::bad_request("Invalid consent request", message);
        let pending = self
            .store
            .pending(&input.pending_auth_id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .ok_or_else(|| {
                bad("unknown or finished authorization request: start again from your application")
            })?;
        if self.now() >= pending.expires_at {
            return Err(bad("request expired: start again from your application"));
        }
        if !csrf_matches(
            &input.csrf_token,
            input.csrf_cookie.as_deref(),
            &pending.csrf_hash,
        ) {
            return Err(ErrorPage {
                status: 403,
                title: String::from("Invalid consent request"),
                message: String::from(
                    "the form's security token does not match; start again from your application",
                ),
            });
        }
        let Some(identity) = pending.identity.clone() else {
            return Err(bad("sign in first: this request has no login yet"));
        };
        if !self.auth.consent.enabled {
            return Err(bad("consent is not asked on this server"));
        }
        if input.denied {
            let pending = self.take(&pending.id).await?;
            return Ok(CallbackOutcome::Redirect(super::flow::denied_redirect(
                &pending,
            )));
        }
        let offered = self.offered_tools().await?;
        let mut input = input;
        if input.all {
            if !self.auth.consent.allow_select_all {
                return Err(bad("select-all is not offered on this server"));
            }
            input.tools = offered.iter().map(|t| t.name.clone()).collect();
        }
        if let Some(unknown) = input
            .tools
            .iter()
            .find(|t| !offered.iter().any(|o| &o.name == *t))
        {
            return Err(bad(&format!(
                "`{unknown}` is not a tool this screen offered"
            )));
        }
        // Only what the user approved is granted: a scope the form listed and left unchecked
        // is dropped; one it never asked about cannot be added.
        let approved = match &input.scopes {
            None => pending.scope.clone(),
            Some(checked) => {
                if let Some(extra) = checked.iter().find(|s| !pending.scope.contains(s)) {
                    return Err(bad(&format!(
                        "`{extra}` is not a scope this request asked for"
                    )));
                }
                pending
                    .scope
                    .iter()
                    .filter(|s| checked.contains(s))
                    .cloned()
                    .collect()
            }
        };
        if input.tools.is_empty() && self.auth.consent.require_selection {
            let prompt = self.consent_prompt(
                &pending,
                input.csrf_token.clone(),
                offered,
                Vec::new(),
                Some(String::from("select at least one tool to continue")),
            );
            return Ok(CallbackOutcome::Consent(Box::new(prompt)));
        }
        if self.auth.consent.remember_consent {
            let baseline = self.scope_policy().baseline;
            let mut scopes: Vec<String> = self
                .store
                .consent(&identity.subject, &pending.client_id)
                .await
                .map_err(|e| ErrorPage::from_oauth(&e.into()))?
                .map(|r| r.scopes)
                .unwrap_or_default();
            for scope in approved.iter().filter(|s| !baseline.contains(s)) {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
            let record = ConsentRecord {
                scopes,
                subject: identity.subject.clone(),
                client_id: pending.client_id.clone(),
                tools: input.tools.clone(),
                offered: offered.iter().map(|t| t.name.clone()).collect(),
                apps: pending
                    .app_choice
                    .as_ref()
                    .map(|c| c.authorized.clone())
                    .unwrap_or_default(),
                granted_at: self.now(),
            };
            self.store
                .put_consent(record, self.now() + REMEMBER_SECONDS)
                .await
                .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        }
        let mut pending = self.take(&pending.id).await?;
        pending.scope = approved;
        let claim = self.consent_claim(&input.tools);
        let apps = pending.app_choice.clone();
        self.finish(&pending, identity, Some(claim), apps).await
    }
}
