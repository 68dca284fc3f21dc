//! The machine clients (`dcr.clients` with `client_credentials` or `private_key_jwt`) and the
//! enterprise issuers trusted for ID-JAGs, as configured: their grants, scopes and keys. The
//! grants themselves are in [`super::machine`].

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::assertion::SeenAssertions;
use crate::clock::Clock;
use crate::upstream::{HttpFetcher, JwksCache, JwksOptions, JwksSource, keys_from_jwks};
use frontmcp_auth_config::{AuthConfig, TrustedIssuer};

/// The grant type of client credentials.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
/// The grant type of JWT assertions (RFC 7523), the ID-JAG's.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The client assertion type of `private_key_jwt`.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The ID-JAG's `typ`.
pub const ID_JAG_TYP: &str = "oauth-id-jag+jwt";
/// The grant profile advertised for ID-JAG.
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// A pre-registered client's grants, scopes and keys.
pub(crate) struct MachineClient {
    pub(super) grants: Vec<String>,
    pub(super) scopes: Vec<String>,
    pub(super) keys: Option<Arc<JwksCache>>,
}

/// An enterprise issuer trusted for ID-JAGs.
pub(crate) struct EnterpriseIssuer {
    pub(super) config: TrustedIssuer,
    pub(super) keys: Arc<JwksCache>,
}

/// The machine clients and enterprise issuers of a server.
#[derive(Default)]
pub(crate) struct Machines {
    clients: HashMap<String, MachineClient>,
    pub(super) issuers: Vec<EnterpriseIssuer>,
    pub(crate) seen: SeenAssertions,
}

fn keys_of(
    jwks: Option<&Value>,
    uri: Option<&String>,
    discover: Option<&str>,
    fetcher: &HttpFetcher,
    clock: &Clock,
) -> Option<Arc<JwksCache>> {
    let source = match (jwks, uri, discover) {
        (Some(jwks), _, _) => JwksSource::Inline(keys_from_jwks(jwks)),
        (None, Some(uri), _) => JwksSource::Uri(uri.clone()),
        (None, None, Some(issuer)) => JwksSource::Discover(issuer.to_owned()),
        (None, None, None) => return None,
    };
    Some(Arc::new(JwksCache::new(
        source,
        fetcher.clone(),
        JwksOptions::default(),
        clock.clone(),
    )))
}

impl Machines {
    /// The machine clients and issuers `auth` configures.
    pub(crate) fn from_config(auth: &AuthConfig, fetcher: &HttpFetcher, clock: &Clock) -> Self {
        let clients = auth
            .dcr
            .clients
            .iter()
            .map(|client| {
                let grants = if client.grant_types.is_empty() {
                    vec![
                        String::from("authorization_code"),
                        String::from("refresh_token"),
                    ]
                } else {
                    client.grant_types.clone()
                };
                let keys = keys_of(
                    client.jwks.as_ref(),
                    client.jwks_uri.as_ref(),
                    None,
                    fetcher,
                    clock,
                );
                (
                    client.client_id.clone(),
                    MachineClient {
                        grants,
                        scopes: client.scopes.clone(),
                        keys,
                    },
                )
            })
            .collect();
        let issuers = auth
            .id_jag
            .issuers
            .iter()
            .filter_map(|issuer| {
                Some(EnterpriseIssuer {
                    keys: keys_of(
                        issuer.jwks.as_ref(),
                        issuer.jwks_uri.as_ref(),
                        Some(&issuer.issuer),
                        fetcher,
                        clock,
                    )?,
                    config: issuer.clone(),
                })
            })
            .collect();
        Self {
            clients,
            issuers,
            seen: SeenAssertions::default(),
        }
    }

    /// Whether any client may use `grant`.
    pub(crate) fn offers(&self, grant: &str) -> bool {
        self.clients
            .values()
            .any(|c| c.grants.iter().any(|g| g == grant))
    }

    /// Whether any client authenticates with `private_key_jwt`.
    pub(crate) fn signs_assertions(&self) -> bool {
        self.clients.values().any(|c| c.keys.is_some())
    }

    /// Whether ID-JAGs are accepted.
    pub(crate) fn accepts_id_jag(&self) -> bool {
        !self.issuers.is_empty()
    }

    pub(super) fn client(&self, client_id: &str) -> Option<&MachineClient> {
        self.clients.get(client_id)
    }
}
