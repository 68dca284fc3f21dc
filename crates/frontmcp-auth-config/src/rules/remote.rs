//! Rules about remote mode: the upstream provider (a preset or a URL) must be one this server
//! can sign users in at, and its vault key must survive a restart in production.

use super::RuleInput;
use super::security::MIN_CREDENTIAL_BYTES;
use crate::model::{
    AuthConfig, AuthMode, PRESETS, PresetIssuer, ProviderPreset, SessionMode, UpstreamAuthMethod,
    is_url, preset_named, preset_of_url,
};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Authorization request parameters this server sets itself.
pub const RESERVED_AUTHORIZATION_PARAMS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

/// `provider_config` keys that only remote mode reads.
const REMOTE_PROVIDER_KEYS: &[&str] = &[
    "issuer",
    "tenant",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "revocation_endpoint",
    "token_endpoint_auth_method",
    "authorization_params",
];

/// The preset a remote configuration resolves to (`None`: an unknown preset name).
pub fn remote_preset(auth: &AuthConfig) -> Option<&'static ProviderPreset> {
    let provider = auth.provider.as_deref()?;
    if is_url(provider) {
        Some(preset_of_url(provider))
    } else {
        preset_named(provider)
    }
}

/// Remote mode's provider settings must be able to work; remote-only `provider_config` keys
/// are refused in transparent mode.
pub fn remote_provider_invalid(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let pc = base.key("provider_config");
    if auth.mode == AuthMode::Transparent && input.mode_known(base) {
        return REMOTE_PROVIDER_KEYS
            .iter()
            .map(|key| pc.key(key))
            .filter(|path| input.index.is_set(path))
            .map(|path| {
                Violation::new(
                    Rule::OptionOutsideMode,
                    path.clone(),
                    input.index.loc(&path),
                    format!(
                        "`{}` only applies in remote mode; transparent mode verifies tokens and never signs users in",
                        path.last_key().unwrap_or_default()
                    ),
                )
                .help("remove it, or set mode = \"remote\"")
                .related(base.key("mode"))
            })
            .collect();
    }
    if auth.mode != AuthMode::Remote || !input.mode_known(base) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut refuse = |path: KeyPath, message: String, help: String| {
        let loc = input.loc_or(&path, &base.key("mode"));
        found.push(Violation::new(Rule::RemoteProviderInvalid, path, loc, message).help(help));
    };
    let provider_path = base.key("provider");
    let Some(provider) = auth
        .provider
        .as_deref()
        .filter(|_| input.known(&provider_path))
    else {
        return Vec::new();
    };
    let Some(preset) = remote_preset(auth) else {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        let help = match crate::names::nearest(provider, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "name a preset ({}) or write the provider's issuer URL",
                crate::decode::quote_list(&names)
            ),
        };
        refuse(
            provider_path,
            format!("`{provider}` is neither a provider preset nor a URL"),
            help,
        );
        return found;
    };
    let named = !is_url(provider);
    let config = &auth.provider_config;
    match preset.issuer {
        PresetIssuer::PerCustomer { example } if named && config.issuer.is_none() => refuse(
            pc.key("issuer"),
            format!(
                "`{}` serves each customer at their own issuer; it is missing",
                preset.name
            ),
            format!("add provider_config(issuer = \"{example}\")"),
        ),
        PresetIssuer::PerCustomer { .. } => {}
        _ if config.issuer.is_some() => refuse(
            pc.key("issuer"),
            format!("`{}` has one issuer; `issuer` does not apply", preset.name),
            String::from("remove provider_config.issuer"),
        ),
        _ => {}
    }
    if config.issuer.is_some() && !named {
        refuse(
            pc.key("issuer"),
            String::from("`provider` is already the issuer URL"),
            String::from("remove provider_config.issuer, or name a preset in `provider`"),
        );
    }
    if config.tenant.is_some() && !matches!(preset.issuer, PresetIssuer::Tenant { .. }) {
        refuse(
            pc.key("tenant"),
            format!("`{}` has no tenant in its URL", preset.name),
            String::from("remove provider_config.tenant (it is for provider = \"entra\")"),
        );
    }
    if preset.openid && !auth.scopes.is_empty() && !auth.scopes.iter().any(|s| s == "openid") {
        refuse(
            base.key("scopes"),
            String::from(
                "the scopes lack `openid`: the provider would send no id_token, and the user could not be identified",
            ),
            String::from("add \"openid\" to scopes"),
        );
    }
    let method = config.token_endpoint_auth_method;
    let needs_secret = preset.confidential
        || matches!(
            method,
            Some(UpstreamAuthMethod::ClientSecretBasic | UpstreamAuthMethod::ClientSecretPost)
        );
    if needs_secret && auth.client_secret.is_none() {
        refuse(
            base.key("client_secret"),
            format!(
                "{} needs this server's client secret at its token endpoint",
                preset.display
            ),
            String::from("add client_secret = env(\"IDP_CLIENT_SECRET\")"),
        );
    }
    if method == Some(UpstreamAuthMethod::None) && auth.client_secret.is_some() {
        refuse(
            pc.key("token_endpoint_auth_method"),
            String::from(
                "token_endpoint_auth_method = \"none\" would never send the client secret",
            ),
            String::from("remove client_secret, or choose client_secret_basic"),
        );
    }
    for name in config.authorization_params.keys() {
        if RESERVED_AUTHORIZATION_PARAMS.contains(&name.as_str()) {
            refuse(
                pc.key("authorization_params").key(name),
                format!("`{name}` is set by this server on every upstream request"),
                String::from("remove it (scopes go in `scopes`)"),
            );
        }
    }
    let vault_key = base.key("vault_key");
    if let Some(key) = &auth.vault_key
        && input.known(&vault_key)
    {
        if auth.session_mode == SessionMode::Stateless {
            refuse(
                vault_key.clone(),
                String::from(
                    "stateless sessions keep no upstream tokens, so there is no vault to seal",
                ),
                String::from("remove vault_key, or set session_mode = \"stateful\""),
            );
        }
        if key.len() < MIN_CREDENTIAL_BYTES {
            refuse(
                vault_key,
                format!(
                    "the vault key has {} characters; at least {MIN_CREDENTIAL_BYTES} are needed",
                    key.len()
                ),
                String::from("generate one with `openssl rand -base64 32`"),
            );
        }
    }
    found
}

/// The production profile needs a vault key: a per-process key loses every user's upstream
/// tokens at each restart, and several instances could not read each other's.
pub fn production_vault_key(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    let profile = KeyPath::root().key("security").key("profile");
    if !input.config.security.is_production()
        || !input.known(&profile)
        || !(auth.mode == AuthMode::Remote
            || (auth.mode == AuthMode::Local && !auth.providers.is_empty()))
        || !input.mode_known(base)
        || auth.session_mode == SessionMode::Stateless
        || auth.vault_key.is_some()
    {
        return Vec::new();
    }
    let path = base.key("vault_key");
    vec![
        Violation::new(
            Rule::ProductionVaultKey,
            path.clone(),
            input.loc_or(&path, &profile),
            String::from(
                "upstream tokens would be sealed with a random key that dies with the process",
            ),
        )
        .help("set vault_key = env(\"FRONTMCP_AUTH__VAULT_KEY\") to a random secret of at least 32 characters")
        .related(profile),
    ]
}
