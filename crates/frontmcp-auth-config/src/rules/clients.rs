//! Rules about machine clients and enterprise sign-in: the grants a pre-registered client
//! lists must exist, `client_credentials` and the ID-JAG grant need a confidential client, and
//! trusted ID-JAG issuers name asymmetric algorithms only.

use super::RuleInput;
use crate::model::{AuthConfig, CLIENT_GRANT_TYPES};
use crate::path::KeyPath;
use crate::violation::{Rule, Violation};

/// Asymmetric signature algorithms an assertion may use.
pub const ASSERTION_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// Machine clients and trusted issuers that cannot work.
pub fn machine_client_invalid(
    input: &RuleInput<'_>,
    base: &KeyPath,
    auth: &AuthConfig,
) -> Vec<Violation> {
    if !auth.mode.is_orchestrated() || !input.mode_known(base) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut refuse = |path: KeyPath, message: String, help: &str| {
        let loc = input.loc_or(&path, &base.key("mode"));
        found.push(Violation::new(Rule::MachineClientInvalid, path, loc, message).help(help));
    };
    let clients = base.key("dcr").key("clients");
    for (i, client) in auth.dcr.clients.iter().enumerate() {
        let entry = if input.index.is_set(&clients.key(&client.client_id)) {
            clients.key(&client.client_id)
        } else {
            clients.index(i)
        };
        for grant in &client.grant_types {
            if !CLIENT_GRANT_TYPES.contains(&grant.as_str()) {
                refuse(
                    entry.key("grant_types"),
                    format!("`{grant}` is not a grant type this server serves"),
                    "use authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:jwt-bearer",
                );
            }
        }
        let keys = client.jwks.is_some() || client.jwks_uri.is_some();
        let machine = client.allows_grant("client_credentials")
            || client.allows_grant("urn:ietf:params:oauth:grant-type:jwt-bearer");
        if machine && client.client_secret.is_none() && !keys {
            refuse(
                entry.clone(),
                format!(
                    "`{}` uses a grant without a user's browser and must authenticate: it has no client_secret and no keys",
                    client.client_id
                ),
                "add client_secret (client_secret_basic) or jwks / jwks_uri (private_key_jwt)",
            );
        }
        if client.jwks.is_some() && client.jwks_uri.is_some() {
            refuse(
                entry.key("jwks_uri"),
                String::from("both jwks and jwks_uri are set; which keys count would be a guess"),
                "keep one",
            );
        }
    }
    let issuers = base.key("id_jag").key("issuers");
    for (i, issuer) in auth.id_jag.issuers.iter().enumerate() {
        let at = issuers.index(i);
        if let Some(bad) = issuer
            .algorithms
            .iter()
            .find(|a| !ASSERTION_ALGORITHMS.contains(&a.as_str()))
        {
            refuse(
                at.key("algorithms"),
                format!(
                    "`{bad}` is not an asymmetric signature algorithm; an assertion could be forged with it"
                ),
                "list RS256, ES256, PS256 or EdDSA",
            );
        }
        if !issuer.issuer.starts_with("https://") && !issuer.issuer.starts_with("http://") {
            refuse(
                at.key("issuer"),
                format!("`{}` is not an issuer URL", issuer.issuer),
                "write the issuer exactly as its tokens' `iss`",
            );
        }
    }
    found
}
