//! Rules about what each mode needs and allows.

use super::RuleInput;
use crate::model::{AuthConfig, AuthMode};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

fn describe_modes(modes: &[AuthMode]) -> String {
    let names: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
    match names.as_slice() {
        [one] => format!("{one} mode only"),
        [init @ .., last] => format!("{} and {last} mode", init.join(", ")),
        [] => String::from("no mode"),
    }
}

/// An option set in a mode that does not use it: `consent`, `incremental_auth`,
/// `federated_auth`, `token_storage` or `dcr` on `public` or `transparent`, `expected_audience`
/// outside `transparent`, `providers` outside `local`, and so on (see
/// [`AuthConfig::MODE_OPTIONS`]). Accepting them would mean silently ignoring them.
pub fn option_outside_mode(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !input.mode_known(base) {
        return Vec::new();
    }
    let mode_path = base.key("mode");
    let mode_source = if input.index.is_set(&mode_path) {
        format!("mode = \"{}\"", auth.mode.as_str())
    } else {
        String::from("the default mode \"public\"")
    };
    AuthConfig::MODE_OPTIONS
        .iter()
        .filter(|(option, modes)| {
            input.index.is_set(&base.key(option)) && !modes.contains(&auth.mode)
        })
        .map(|(option, modes)| {
            let path = base.key(option);
            let suggestion = modes
                .iter()
                .find(|m| **m != AuthMode::Public)
                .unwrap_or(&modes[0])
                .as_str();
            Violation::new(
                Rule::OptionOutsideMode,
                path.clone(),
                input.index.loc(&path),
                format!(
                    "`{option}` applies to {}, but the auth uses {mode_source}",
                    describe_modes(modes)
                ),
            )
            .help(format!("remove `{option}`, or set mode = \"{suggestion}\""))
            .related(mode_path.clone())
        })
        .collect()
}

/// `transparent` and `remote` mode need the identity provider's URL.
pub fn provider_required(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !matches!(auth.mode, AuthMode::Transparent | AuthMode::Remote)
        || auth.provider.is_some()
        || !input.mode_known(base)
    {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::ProviderRequired,
            base.key("provider"),
            input.loc_or(&base.key("mode"), base),
            format!(
                "{} mode needs `provider`, the identity provider's base URL",
                auth.mode.as_str()
            ),
        )
        .help("add provider = \"https://auth.example.com\" (or set IDP_PROVIDER_URL)")
        .related(base.key("mode")),
    ]
}

/// `transparent` mode must check the audience of every token (the seeds' checklist: "Audience
/// validation - Validate aud claim in transparent mode").
pub fn expected_audience_required(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if auth.mode != AuthMode::Transparent
        || !auth.expected_audience.is_empty()
        || !input.mode_known(base)
    {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::ExpectedAudienceRequired,
            base.key("expected_audience"),
            input.loc_or(&base.key("mode"), base),
            "transparent mode needs `expected_audience`, or tokens minted for other services would be accepted",
        )
        .help("add expected_audience = \"https://api.yourservice.com\" (or set IDP_EXPECTED_AUDIENCE)")
        .related(base.key("mode")),
    ]
}

/// `remote` mode signs in through the upstream provider and needs its client id there.
pub fn client_id_required(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if auth.mode != AuthMode::Remote || auth.client_id.is_some() || !input.mode_known(base) {
        return Vec::new();
    }
    vec![
        Violation::new(
            Rule::ClientIdRequired,
            base.key("client_id"),
            input.loc_or(&base.key("mode"), base),
            "remote mode needs `client_id`, this server's client id at the upstream provider",
        )
        .help("add client_id = \"...\" (or set IDP_CLIENT_ID)")
        .related(base.key("mode")),
    ]
}

/// `anonymous_subject` is used only when the login form may be sent without an email.
pub fn anonymous_subject_with_require_email(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if auth.mode != AuthMode::Local || auth.anonymous_subject.is_none() || !auth.require_email {
        return Vec::new();
    }
    let path = base.key("anonymous_subject");
    vec![
        Violation::new(
            Rule::AnonymousSubjectWithRequireEmail,
            path.clone(),
            input.index.loc(&path),
            "`anonymous_subject` is never used while `require_email` is true",
        )
        .help("set require_email = false, or remove anonymous_subject"),
    ]
}
