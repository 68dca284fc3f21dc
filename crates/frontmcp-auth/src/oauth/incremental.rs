//! Progressive authorization (`incremental_auth`): a token names the apps its user authorized
//! (`authorized_apps`); a tool of another app answers `AUTHORIZATION_REQUIRED` with the URL
//! that authorizes it, and that authorization adds the app to what the user already granted
//! the client. Which apps a request authorizes is fixed when the request arrives (the `app`
//! parameter, checked against the server's apps) and kept in the pending record: nothing in
//! the login form can widen it or skip the login.

use frontmcp_auth_config::SkippedAppBehavior;

use super::error::OAuthError;
use super::flow::{CallbackInput, ErrorPage, REMEMBER_SECONDS};
use super::params::Params;
use super::server::AuthorizationServer;
use crate::store::{AppChoice, ConsentRecord, Identity, PendingAuthorization};

impl AuthorizationServer {
    /// Whether progressive authorization applies: enabled and the server has apps.
    pub(crate) fn incremental(&self) -> bool {
        self.auth.incremental_auth.enabled && !self.apps.is_empty()
    }

    /// The apps an authorization request asks for (`app=billing`, several separated by spaces
    /// or commas), each checked against the server's apps.
    pub(crate) fn requested_apps(
        &self,
        params: &Params,
    ) -> Result<Option<Vec<String>>, OAuthError> {
        let Some(value) = params.get("app") else {
            return Ok(None);
        };
        if !self.incremental() {
            return Err(OAuthError::invalid_request(
                "progressive authorization (`app`) is not enabled on this server",
            ));
        }
        let mut apps: Vec<String> = Vec::new();
        for id in value.split([' ', ',']).filter(|s| !s.is_empty()) {
            if !self.apps.iter().any(|a| a == id) {
                return Err(OAuthError::invalid_request(format!(
                    "`{}` is not an app of this server",
                    id.chars().take(64).collect::<String>()
                )));
            }
            if !apps.iter().any(|a| a == id) {
                apps.push(id.to_owned());
            }
        }
        Ok(Some(apps))
    }

    /// The apps the login page lists, and whether each may be skipped there.
    pub(crate) fn login_apps(&self, pending: &PendingAuthorization) -> (Vec<String>, bool) {
        if !self.incremental() {
            return (Vec::new(), false);
        }
        let options = &self.auth.incremental_auth;
        match &pending.apps {
            Some(apps) => (apps.clone(), false),
            None if options.show_all_apps_at_once => {
                (self.apps.clone(), options.allow_skip && self.apps.len() > 1)
            }
            None => (self.apps.iter().take(1).cloned().collect(), false),
        }
    }

    /// Stage handleIncrementalAuth: the apps this login authorizes and the ones the user
    /// skipped. From the pending record and the server's options; the form only unchecks apps
    /// the page offered to skip.
    pub(crate) fn choose_apps(
        &self,
        input: &CallbackInput,
        pending: &PendingAuthorization,
    ) -> Result<Option<AppChoice>, ErrorPage> {
        if input.incremental && !self.auth.incremental_auth.enabled {
            return Err(ErrorPage::bad_request(
                "Invalid login request",
                "progressive authorization is disabled on this server",
            ));
        }
        if !self.incremental() {
            return Ok(None);
        }
        let (listed, skippable) = self.login_apps(pending);
        if !skippable || !input.apps_shown {
            return Ok(Some(AppChoice {
                authorized: listed,
                skipped: Vec::new(),
            }));
        }
        let (authorized, skipped) = listed
            .into_iter()
            .partition(|app| input.checked_apps.contains(app));
        Ok(Some(AppChoice {
            authorized,
            skipped,
        }))
    }

    /// This login's apps joined with what the user already authorized for the client: the
    /// token's grant is the union. Nothing is stored until the login ends in a code
    /// ([`Self::keep_apps`]), so a refused consent widens nothing.
    pub(crate) async fn remember_apps(
        &self,
        identity: &Identity,
        client_id: &str,
        choice: AppChoice,
    ) -> Result<AppChoice, ErrorPage> {
        let mut authorized = self
            .store
            .consent(&identity.subject, client_id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .map(|record| record.apps)
            .unwrap_or_default();
        for app in choice.authorized {
            if !authorized.contains(&app) {
                authorized.push(app);
            }
        }
        Ok(AppChoice {
            skipped: choice
                .skipped
                .into_iter()
                .filter(|app| !authorized.contains(app))
                .collect(),
            authorized,
        })
    }

    /// Records the apps of a login that ends in a code, for the user's next logins at the
    /// client.
    pub(crate) async fn keep_apps(
        &self,
        subject: &str,
        client_id: &str,
        choice: &AppChoice,
    ) -> Result<(), ErrorPage> {
        let stored = self
            .store
            .consent(subject, client_id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        let mut record = stored.unwrap_or_else(|| ConsentRecord {
            subject: subject.to_owned(),
            client_id: client_id.to_owned(),
            tools: Vec::new(),
            offered: Vec::new(),
            apps: Vec::new(),
            scopes: Vec::new(),
            granted_at: self.now(),
        });
        if choice
            .authorized
            .iter()
            .all(|app| record.apps.contains(app))
        {
            return Ok(());
        }
        for app in &choice.authorized {
            if !record.apps.contains(app) {
                record.apps.push(app.clone());
            }
        }
        self.store
            .put_consent(record, self.now() + REMEMBER_SECONDS)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))
    }

    /// The claims of a choice: `authorized_apps`, and `skipped_apps` when skipped apps run
    /// anonymously (with `require_auth` they are simply not authorized).
    pub(crate) fn app_claims(
        &self,
        choice: Option<AppChoice>,
    ) -> (Option<Vec<String>>, Option<Vec<String>>) {
        match choice {
            None => (None, None),
            Some(choice) => {
                let anonymous = self.auth.incremental_auth.skipped_app_behavior
                    == SkippedAppBehavior::Anonymous;
                let skipped = (anonymous && !choice.skipped.is_empty()).then_some(choice.skipped);
                (Some(choice.authorized), skipped)
            }
        }
    }
}
