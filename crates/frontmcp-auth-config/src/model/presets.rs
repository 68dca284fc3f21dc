//! Remote mode's provider presets: the identity providers users name, with their endpoints,
//! default scopes and quirks. Pure data: the rulebook checks against it, the runtime fills a
//! provider's settings from it, and every value stays overridable in `provider_config`.

/// Where a preset's issuer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresetIssuer {
    /// One issuer for everybody.
    Fixed(&'static str),
    /// A template with `{tenant}`, filled from `provider_config.tenant` (default given).
    Tenant {
        /// The issuer with `{tenant}` in it.
        template: &'static str,
        /// The tenant when none is configured.
        default_tenant: &'static str,
    },
    /// Each customer has their own: `provider_config.issuer` (or `provider` as a URL) gives it.
    PerCustomer {
        /// An example issuer, for error messages.
        example: &'static str,
    },
}

/// One preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderPreset {
    /// The name written as `provider = "..."`.
    pub name: &'static str,
    /// The display name.
    pub display: &'static str,
    /// The issuer.
    pub issuer: PresetIssuer,
    /// Whether the provider speaks OpenID Connect (an `id_token`, discovery). Without it,
    /// identity comes from the user endpoint and the endpoints are given here.
    pub openid: bool,
    /// The authorization endpoint when there is no discovery.
    pub authorization_endpoint: Option<&'static str>,
    /// The token endpoint when there is no discovery.
    pub token_endpoint: Option<&'static str>,
    /// The user endpoint when there is no discovery.
    pub userinfo_endpoint: Option<&'static str>,
    /// Scopes requested when `scopes` is not set.
    pub scopes: &'static [&'static str],
    /// Extra authorization request parameters (overridable in `authorization_params`).
    pub authorization_params: &'static [(&'static str, &'static str)],
    /// Whether the provider needs a client secret at its token endpoint.
    pub confidential: bool,
    /// Host suffixes (and path markers) by which a provider URL is recognised as this preset.
    pub recognised_by: &'static [&'static str],
}

const OPENID_SCOPES: &[&str] = &["openid", "profile", "email"];
const OFFLINE_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

const fn openid(name: &'static str, display: &'static str, issuer: PresetIssuer) -> ProviderPreset {
    ProviderPreset {
        name,
        display,
        issuer,
        openid: true,
        authorization_endpoint: None,
        token_endpoint: None,
        userinfo_endpoint: None,
        scopes: OPENID_SCOPES,
        authorization_params: &[],
        confidential: false,
        recognised_by: &[],
    }
}

/// Every preset.
pub const PRESETS: &[ProviderPreset] = &[
    ProviderPreset {
        // Google issues a refresh token only with access_type=offline, and again only when the
        // user consents anew (prompt=consent).
        authorization_params: &[("access_type", "offline"), ("prompt", "consent")],
        confidential: true,
        recognised_by: &["accounts.google.com"],
        ..openid(
            "google",
            "Google",
            PresetIssuer::Fixed("https://accounts.google.com"),
        )
    },
    ProviderPreset {
        // Classic GitHub OAuth apps: no OpenID Connect, no refresh token, tokens without expiry.
        openid: false,
        authorization_endpoint: Some("https://github.com/login/oauth/authorize"),
        token_endpoint: Some("https://github.com/login/oauth/access_token"),
        userinfo_endpoint: Some("https://api.github.com/user"),
        scopes: &["read:user", "user:email"],
        confidential: true,
        recognised_by: &["github.com"],
        ..openid(
            "github",
            "GitHub",
            PresetIssuer::Fixed("https://github.com"),
        )
    },
    ProviderPreset {
        // Sign in with Slack (OpenID Connect); user tokens for the Web API need user scopes.
        confidential: true,
        recognised_by: &["slack.com"],
        ..openid("slack", "Slack", PresetIssuer::Fixed("https://slack.com"))
    },
    ProviderPreset {
        // Atlassian (Jira, Confluence) OAuth 2.0 (3LO): no OpenID Connect; the user endpoint is
        // /me (`account_id`); refresh tokens need offline_access, rotating.
        openid: false,
        authorization_endpoint: Some("https://auth.atlassian.com/authorize"),
        token_endpoint: Some("https://auth.atlassian.com/oauth/token"),
        userinfo_endpoint: Some("https://api.atlassian.com/me"),
        scopes: &[
            "read:me",
            "read:jira-user",
            "read:jira-work",
            "offline_access",
        ],
        authorization_params: &[("audience", "api.atlassian.com"), ("prompt", "consent")],
        confidential: true,
        recognised_by: &["auth.atlassian.com"],
        ..openid(
            "jira",
            "Jira",
            PresetIssuer::Fixed("https://auth.atlassian.com"),
        )
    },
    ProviderPreset {
        // The tenant is in the URL; `common` and `organizations` issue tokens whose `iss` names
        // the user's own tenant (`tid`). Refresh tokens need offline_access.
        scopes: OFFLINE_SCOPES,
        recognised_by: &["login.microsoftonline.com"],
        ..openid(
            "entra",
            "Microsoft Entra ID",
            PresetIssuer::Tenant {
                template: "https://login.microsoftonline.com/{tenant}/v2.0",
                default_tenant: "common",
            },
        )
    },
    ProviderPreset {
        scopes: OFFLINE_SCOPES,
        recognised_by: &[".auth0.com"],
        ..openid(
            "auth0",
            "Auth0",
            PresetIssuer::PerCustomer {
                example: "https://YOUR_TENANT.us.auth0.com/",
            },
        )
    },
    ProviderPreset {
        scopes: OFFLINE_SCOPES,
        recognised_by: &[".okta.com", ".oktapreview.com"],
        ..openid(
            "okta",
            "Okta",
            PresetIssuer::PerCustomer {
                example: "https://YOUR_ORG.okta.com/oauth2/default",
            },
        )
    },
    ProviderPreset {
        recognised_by: &["/realms/"],
        ..openid(
            "keycloak",
            "Keycloak",
            PresetIssuer::PerCustomer {
                example: "https://keycloak.example.com/realms/YOUR_REALM",
            },
        )
    },
    ProviderPreset {
        confidential: false,
        recognised_by: &["cognito-idp."],
        ..openid(
            "cognito",
            "Amazon Cognito",
            PresetIssuer::PerCustomer {
                example: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_POOL",
            },
        )
    },
];

/// The generic preset of any OpenID provider given by URL.
pub const GENERIC_OPENID: ProviderPreset = openid(
    "openid",
    "OpenID provider",
    PresetIssuer::PerCustomer {
        example: "https://auth.example.com",
    },
);

/// A plain OAuth 2.0 provider given by its endpoints (a federated provider without an issuer):
/// no `id_token`; the user endpoint, when given, says who linked.
pub const GENERIC_OAUTH: ProviderPreset = ProviderPreset {
    openid: false,
    scopes: &[],
    ..openid(
        "oauth2",
        "OAuth provider",
        PresetIssuer::PerCustomer {
            example: "https://auth.example.com",
        },
    )
};

/// The preset called `name`.
pub fn preset_named(name: &str) -> Option<&'static ProviderPreset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The preset of a federated provider: `preset` when set; the OpenID preset of `issuer`
/// (recognised by its URL); the plain OAuth 2.0 one when both endpoints are given; else the
/// preset its id names.
///
/// # Errors
///
/// A message when `preset` names no preset, or nothing gives the provider's endpoints.
pub fn federated_preset(
    provider: &super::UpstreamProvider,
) -> Result<&'static ProviderPreset, String> {
    if let Some(name) = &provider.preset {
        return preset_named(name).ok_or_else(|| format!("`{name}` is not a provider preset"));
    }
    if let Some(issuer) = &provider.issuer {
        return Ok(preset_of_url(issuer));
    }
    if provider.authorization_endpoint.is_some() && provider.token_endpoint.is_some() {
        return Ok(&GENERIC_OAUTH);
    }
    preset_named(&provider.id).ok_or_else(|| {
        String::from(
            "nothing gives this provider's endpoints: set `preset`, an OpenID `issuer`, or both `authorization_endpoint` and `token_endpoint`",
        )
    })
}

/// The preset a provider URL belongs to (by host, or Keycloak's `/realms/` path), else the
/// generic OpenID preset.
pub fn preset_of_url(url: &str) -> &'static ProviderPreset {
    let Ok(parsed) = url::Url::parse(url) else {
        return &GENERIC_OPENID;
    };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let path = parsed.path();
    PRESETS
        .iter()
        .find(|p| {
            p.recognised_by.iter().any(|marker| {
                if marker.starts_with('/') {
                    path.contains(marker)
                } else if marker.starts_with('.') {
                    host.ends_with(marker)
                } else if marker.ends_with('.') {
                    host.starts_with(marker)
                } else {
                    host == *marker
                }
            })
        })
        .unwrap_or(&GENERIC_OPENID)
}

/// Whether `provider` is written as a URL rather than a preset name.
pub fn is_url(provider: &str) -> bool {
    provider.contains("://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_by_host_and_path() {
        assert_eq!(preset_of_url("https://acme.us.auth0.com/").name, "auth0");
        assert_eq!(
            preset_of_url("https://acme.okta.com/oauth2/default").name,
            "okta"
        );
        assert_eq!(
            preset_of_url("https://kc.example.com/realms/acme").name,
            "keycloak"
        );
        assert_eq!(
            preset_of_url("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x").name,
            "cognito"
        );
        assert_eq!(preset_of_url("https://accounts.google.com").name, "google");
        assert_eq!(preset_of_url("https://evil-github.com").name, "openid");
        assert_eq!(preset_of_url("http://127.0.0.1:4000").name, "openid");
        assert_eq!(preset_named("GitHub").map(|p| p.name), Some("github"));
        assert!(preset_named("gitlab").is_none());
    }
}
