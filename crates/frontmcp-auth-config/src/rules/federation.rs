//! Rules about federated providers (local mode's `providers`): each must resolve to endpoints
//! this server can use, carry the secret its token endpoint needs, and have a vault to keep its
//! tokens in.

use super::RuleInput;
use super::security::MIN_CREDENTIAL_BYTES;
use crate::model::{AuthConfig, AuthMode, PRESETS, PresetIssuer, SessionMode, federated_preset};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Every federated provider must be able to work.
pub fn federated_provider_invalid(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if auth.mode != AuthMode::Local || !input.mode_known(base) {
        return Vec::new();
    }
    let providers = base.key("providers");
    let mut found = Vec::new();
    let mut refuse = |path: KeyPath, at: &KeyPath, message: String, help: String| {
        let loc = input.loc_or(&path, at);
        found.push(Violation::new(Rule::FederatedProviderInvalid, path, loc, message).help(help));
    };
    let vault_key = base.key("vault_key");
    if let Some(key) = &auth.vault_key
        && input.known(&vault_key)
    {
        if auth.providers.is_empty() {
            refuse(
                vault_key.clone(),
                &base.key("mode"),
                String::from(
                    "the vault key seals federated providers' tokens, and no provider is configured",
                ),
                String::from("remove vault_key, or add providers"),
            );
        } else if key.len() < MIN_CREDENTIAL_BYTES {
            refuse(
                vault_key.clone(),
                &base.key("mode"),
                format!(
                    "the vault key has {} characters; at least {MIN_CREDENTIAL_BYTES} are needed",
                    key.len()
                ),
                String::from("generate one with `openssl rand -base64 32`"),
            );
        }
    }
    if auth.providers.is_empty() {
        return found;
    }
    if auth.session_mode == SessionMode::Stateless {
        refuse(
            base.key("session_mode"),
            &providers,
            String::from(
                "federated providers keep their tokens for tools in the vault of a stateful session; stateless sessions have none",
            ),
            String::from("set session_mode = \"stateful\", or remove providers"),
        );
    }
    for (i, provider) in auth.providers.iter().enumerate() {
        let entry = if input.index.is_set(&providers.key(&provider.id)) {
            providers.key(&provider.id)
        } else {
            providers.index(i)
        };
        let preset = match federated_preset(provider) {
            Ok(preset) => preset,
            Err(message) => {
                let (path, help) = match &provider.preset {
                    Some(name) => {
                        let names = PRESETS.iter().map(|p| p.name);
                        let help = match crate::names::nearest(name, names) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => format!(
                                "name a preset ({})",
                                crate::decode::quote_list(
                                    &PRESETS.iter().map(|p| p.name).collect::<Vec<_>>()
                                )
                            ),
                        };
                        (entry.key("preset"), help)
                    }
                    None => (
                        entry.clone(),
                        String::from(
                            "add preset = \"github\", issuer = \"https://idp.example.com\", or both endpoints",
                        ),
                    ),
                };
                refuse(path, &entry, message, help);
                continue;
            }
        };
        let endpoints_given = (provider.authorization_endpoint.is_some()
            || preset.authorization_endpoint.is_some())
            && (provider.token_endpoint.is_some() || preset.token_endpoint.is_some());
        let no_discovery = provider.issuer.is_none()
            && matches!(preset.issuer, PresetIssuer::PerCustomer { .. })
            && !endpoints_given;
        if no_discovery {
            refuse(
                entry.key("issuer"),
                &entry,
                format!(
                    "{} serves each customer at their own issuer; it is missing",
                    preset.display
                ),
                String::from("add issuer = \"https://...\""),
            );
        }
        if preset.openid
            && !provider.scopes.is_empty()
            && !provider.scopes.iter().any(|s| s == "openid")
        {
            refuse(
                entry.key("scopes"),
                &entry,
                String::from(
                    "the scopes lack `openid`: the provider would send no id_token, and the linked account could not be verified",
                ),
                String::from("add \"openid\" to scopes"),
            );
        }
        if preset.confidential && provider.client_secret.is_none() {
            refuse(
                entry.key("client_secret"),
                &entry,
                format!(
                    "{} needs this server's client secret at its token endpoint",
                    preset.display
                ),
                format!(
                    "add client_secret = env(\"{}_CLIENT_SECRET\")",
                    provider.id.to_ascii_uppercase()
                ),
            );
        }
    }
    found
}
