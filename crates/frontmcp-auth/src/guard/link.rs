//! What a tool answers when the caller has not linked a federated provider it needs (MCP
//! 2026-07-28, URL-mode elicitation): an `input_required` result asking the client to open the
//! connect page, for clients that negotiated that version and declared URL elicitation; for
//! every other client, a tool error whose text carries the URL. Either way the user opens the
//! page in a browser, signs in as themselves, links the provider, and the retried call succeeds.

use rmcp::RoleServer;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, ElicitRequest, ElicitRequestParams,
    InputRequest, InputRequests, InputRequiredResult, ProtocolVersion,
};
use rmcp::service::RequestContext;

use crate::upstream::UpstreamError;

/// Whether the client of `context` can take a URL-mode elicitation inside an `input_required`
/// result.
pub fn takes_url_elicitation(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
        && context
            .client_capabilities()
            .and_then(|c| c.elicitation)
            .is_some_and(|e| e.url.is_some())
}

/// The answer of a tool whose upstream token could not be had: for
/// [`UpstreamError::NotLinked`] with a connect URL, a URL-mode elicitation when
/// `url_elicitation` (see [`takes_url_elicitation`]); otherwise a tool error saying what
/// happened (with the URL when there is one).
pub fn link_required(error: &UpstreamError, url_elicitation: bool) -> CallToolResponse {
    if let UpstreamError::NotLinked {
        provider,
        connect_url: Some(url),
    } = error
        && url_elicitation
    {
        let request = ElicitRequest::new(ElicitRequestParams::UrlElicitationParams {
            meta: None,
            message: format!("Link your {provider} account to continue, then try again."),
            url: url.clone(),
            elicitation_id: String::new(),
        });
        let mut requests = InputRequests::new();
        requests.insert(
            format!("link-{provider}"),
            InputRequest::Elicitation(request),
        );
        return CallToolResponse::InputRequired(InputRequiredResult::from_input_requests(requests));
    }
    CallToolResponse::Complete(CallToolResult::error(vec![ContentBlock::text(
        error.to_string(),
    )]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_link_is_an_elicitation_or_an_error_with_the_url() {
        let error = UpstreamError::NotLinked {
            provider: String::from("slack"),
            connect_url: Some(String::from("http://127.0.0.1:1/oauth/connect?ticket=t")),
        };
        match link_required(&error, true) {
            CallToolResponse::InputRequired(result) => {
                let json = serde_json::to_value(&result).expect("json");
                let request = &json["inputRequests"]["link-slack"];
                assert_eq!(request["method"], "elicitation/create");
                assert_eq!(request["params"]["mode"], "url");
                assert_eq!(
                    request["params"]["url"],
                    "http://127.0.0.1:1/oauth/connect?ticket=t"
                );
            }
            other => panic!("expected input_required, got {other:?}"),
        }
        match link_required(&error, false) {
            CallToolResponse::Complete(result) => {
                assert_eq!(result.is_error, Some(true));
                let text = serde_json::to_string(&result.content).expect("json");
                assert!(text.contains("/oauth/connect?ticket=t"), "{text}");
            }
            other => panic!("expected a tool error, got {other:?}"),
        }
        let down = UpstreamError::Unreachable(String::from("timeout"));
        assert!(matches!(
            link_required(&down, true),
            CallToolResponse::Complete(CallToolResult {
                is_error: Some(true),
                ..
            })
        ));
    }
}
