//! What a Client ID Metadata Document says: its client (public, redirect URIs checked) and how
//! that client authenticates at the token endpoint.

use super::super::redirect_uri::validate_registration;
use crate::store::{ClientAuthMethod, ClientRecord, ClientSource};

/// The client a document describes: its `client_id` must be the URL it was fetched from, its
/// redirect URIs valid; it is a public client.
pub(super) fn client_from_document(
    client_id: &str,
    document: &serde_json::Value,
    now: u64,
) -> Result<(ClientRecord, DocumentKeys), String> {
    let object = document
        .as_object()
        .ok_or_else(|| String::from("the client metadata document is not a JSON object"))?;
    if object.get("client_id").and_then(|v| v.as_str()) != Some(client_id) {
        return Err(String::from(
            "the client metadata document's client_id is not the URL it was fetched from",
        ));
    }
    let redirect_uris: Vec<String> = object
        .get("redirect_uris")
        .and_then(|v| v.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(String::from(
            "the client metadata document lists no redirect_uris",
        ));
    }
    for uri in &redirect_uris {
        validate_registration(uri)
            .map_err(|e| format!("the client metadata document's redirect URI is refused: {e}"))?;
    }
    let keys = document_keys(object)?;
    let name = object
        .get("client_name")
        .and_then(|v| v.as_str())
        .map(|n| n.chars().take(200).collect());
    let record = ClientRecord {
        client_id: client_id.to_owned(),
        secret_hash: None,
        name,
        redirect_uris,
        auth_method: ClientAuthMethod::None,
        scope: None,
        source: ClientSource::MetadataDocument,
        created_at: now,
        keep_until: None,
        registration_token_hash: None,
    };
    Ok((record, keys))
}

/// Where a document's client keeps its keys, for `private_key_jwt`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum DocumentKeys {
    /// A public client (`none`, or negotiated to it).
    Public,
    /// The keys inline (`jwks`).
    Inline(serde_json::Value),
    /// The keys at `jwks_uri`.
    Uri(String),
}

/// The authentication a document asks for: `none`; `private_key_jwt` with `jwks` or
/// `jwks_uri`; and, when it asks for another method but lists `none` among
/// `token_endpoint_auth_methods_supported`, `none` (negotiated rather than refused).
pub(super) fn document_keys(
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<DocumentKeys, String> {
    let method = object
        .get("token_endpoint_auth_method")
        .and_then(|v| v.as_str());
    let offers_none = object
        .get("token_endpoint_auth_methods_supported")
        .and_then(|v| v.as_array())
        .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some("none")));
    match method {
        None | Some("none") => Ok(DocumentKeys::Public),
        Some("private_key_jwt") => match (object.get("jwks"), object.get("jwks_uri")) {
            (Some(jwks), _) if jwks.get("keys").is_some_and(|k| k.is_array()) => {
                Ok(DocumentKeys::Inline(jwks.clone()))
            }
            (_, Some(serde_json::Value::String(uri))) => Ok(DocumentKeys::Uri(uri.clone())),
            _ if offers_none => Ok(DocumentKeys::Public),
            _ => Err(String::from(
                "token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri in the document",
            )),
        },
        Some(_) if offers_none => Ok(DocumentKeys::Public),
        Some(other) => Err(format!(
            "token_endpoint_auth_method `{other}` is not supported for metadata documents; use `none` or `private_key_jwt`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_must_name_themselves_and_list_redirects() {
        let url = "https://client.example.com/meta.json";
        let good = serde_json::json!({"client_id": url, "client_name": "C", "redirect_uris": ["http://127.0.0.1/cb"]});
        let (record, _) = client_from_document(url, &good, 1).expect("accepted");
        assert_eq!(record.auth_method, ClientAuthMethod::None);
        assert_eq!(record.display_name(), "C");
        let other = serde_json::json!({"client_id": "https://evil.example/x", "redirect_uris": ["http://127.0.0.1/cb"]});
        assert!(client_from_document(url, &other, 1).is_err());
        let secret = serde_json::json!({"client_id": url, "redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "client_secret_basic"});
        assert!(client_from_document(url, &secret, 1).is_err());
        let bad_redirect =
            serde_json::json!({"client_id": url, "redirect_uris": ["javascript:alert(1)"]});
        assert!(client_from_document(url, &bad_redirect, 1).is_err());
    }
}
