//! Which MCP method and name a request targets: from the `Mcp-Method` / `Mcp-Name` headers, or
//! else from the JSON-RPC body.

use http::HeaderMap;
use serde_json::Value;

/// One JSON-RPC call's method and the tool, prompt or resource it targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcTarget {
    /// The JSON-RPC method (`tools/call`, ...).
    pub method: String,
    /// `params.name` (or a completion's `params.ref.name`), when present.
    pub name: Option<String>,
    /// `params.uri` (or a completion's `params.ref.uri`), when present.
    pub uri: Option<String>,
}

impl RpcTarget {
    /// The targets named by the MCP headers, if the client sent them.
    pub fn from_headers(headers: &HeaderMap) -> Option<Vec<RpcTarget>> {
        let method = headers.get("mcp-method")?.to_str().ok()?.to_owned();
        let value = headers
            .get("mcp-name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // `Mcp-Name` carries a resource's URI for the resource methods.
        let (name, uri) = if method.starts_with("resources/") {
            (None, value)
        } else {
            (value, None)
        };
        Some(vec![RpcTarget { method, name, uri }])
    }

    /// The targets of a JSON-RPC body (one message or a batch). Unparseable bodies name none;
    /// the MCP layer answers them with a JSON-RPC parse error.
    pub fn from_body(body: &[u8]) -> Vec<RpcTarget> {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return Vec::new();
        };
        let messages = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        messages
            .iter()
            .filter_map(|m| {
                let method = m.get("method")?.as_str()?.to_owned();
                let params = m.get("params");
                let field = |key: &str| {
                    params
                        .and_then(|p| p.get(key).or_else(|| p.get("ref")?.get(key)))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                Some(RpcTarget {
                    name: field("name"),
                    uri: field("uri"),
                    method,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_and_batched_calls() {
        let body = br#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}},{"jsonrpc":"2.0","method":"notifications/initialized"}]"#;
        let targets = RpcTarget::from_body(body);
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].name.as_deref(), Some("add"));
        assert!(RpcTarget::from_body(b"not json").is_empty());
    }

    #[test]
    fn reads_resource_uris_and_completion_references() {
        let body = br#"[{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"docs://a"}},{"jsonrpc":"2.0","id":2,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"x","value":""}}}]"#;
        let targets = RpcTarget::from_body(body);
        assert_eq!(targets[0].uri.as_deref(), Some("docs://a"));
        assert_eq!(targets[1].name.as_deref(), Some("greet"));
        assert_eq!(targets[1].uri, None);
    }

    #[test]
    fn headers_win_when_present() {
        let mut headers = HeaderMap::new();
        headers.insert("mcp-method", "tools/call".parse().expect("value"));
        headers.insert("mcp-name", "secret_tool".parse().expect("value"));
        let targets = RpcTarget::from_headers(&headers).expect("targets");
        assert_eq!(targets[0].name.as_deref(), Some("secret_tool"));
    }
}
