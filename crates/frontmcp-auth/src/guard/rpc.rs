//! Which MCP method and name a request targets: from the `Mcp-Method` / `Mcp-Name` headers, or
//! else from the JSON-RPC body.

use http::HeaderMap;
use serde_json::Value;

/// One JSON-RPC call's method and, for `tools/call` / `prompts/get`, the name it targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcTarget {
    /// The JSON-RPC method (`tools/call`, ...).
    pub method: String,
    /// `params.name`, when present.
    pub name: Option<String>,
}

impl RpcTarget {
    /// The targets named by the MCP headers, if the client sent them.
    pub fn from_headers(headers: &HeaderMap) -> Option<Vec<RpcTarget>> {
        let method = headers.get("mcp-method")?.to_str().ok()?.to_owned();
        let name = headers
            .get("mcp-name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Some(vec![RpcTarget { method, name }])
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
                let name = m
                    .get("params")
                    .and_then(|p| p.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Some(RpcTarget { method, name })
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
    fn headers_win_when_present() {
        let mut headers = HeaderMap::new();
        headers.insert("mcp-method", "tools/call".parse().expect("value"));
        headers.insert("mcp-name", "secret_tool".parse().expect("value"));
        let targets = RpcTarget::from_headers(&headers).expect("targets");
        assert_eq!(targets[0].name.as_deref(), Some("secret_tool"));
    }
}
