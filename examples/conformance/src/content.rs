//! The resources, prompts and completions of the conformance scenarios, in a hand-written
//! handler (any rmcp `ServerHandler` can be an app).

// The legacy subscription methods are what clients before protocol version 2026-07-28 use.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Reference, Resource, ResourceContents,
    ResourceTemplate, ResourceUpdatedNotificationParam, Role, ServerCapabilities, ServerConfig,
    SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler};

use crate::tools::PNG;

/// The most sessions one resource keeps subscribed.
const MAX_SUBSCRIBERS: usize = 1_000;
/// The most resources subscribed to at once (a template matches endless URIs).
const MAX_SUBSCRIBED: usize = 10_000;

/// Resource URI → MCP session id → the session's peer.
type Subscribers = HashMap<String, HashMap<String, Peer<RoleServer>>>;

/// Resources, a template, subscriptions, prompts and completions, and one tool,
/// `touch_resource`, that tells a resource's subscribers it changed.
#[derive(Debug, Clone, Default)]
pub struct ConformanceContent {
    subscribed: Arc<Mutex<Subscribers>>,
}

/// The MCP session a request belongs to.
fn session_of(context: &RequestContext<RoleServer>) -> String {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.headers.get("mcp-session-id"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl ConformanceContent {
    /// Sends `notifications/resources/updated` for `uri` to every session subscribed to it,
    /// forgetting the ones that are gone; returns how many were told.
    async fn touch(&self, uri: &str) -> usize {
        let peers: Vec<(String, Peer<RoleServer>)> = self
            .subscribed
            .lock()
            .map(|s| {
                s.get(uri)
                    .map(|peers| peers.iter().map(|(k, p)| (k.clone(), p.clone())).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        let mut told = 0;
        for (session, peer) in peers {
            let sent = peer
                .notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                .await;
            if sent.is_ok() {
                told += 1;
            } else if let Ok(mut subscribed) = self.subscribed.lock()
                && let Some(peers) = subscribed.get_mut(uri)
            {
                peers.remove(&session);
            }
        }
        told
    }
}

fn argument(request: &GetPromptRequestParams, name: &str) -> Result<String, ErrorData> {
    request
        .arguments
        .as_ref()
        .and_then(|args| args.get(name))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| ErrorData::invalid_params(format!("missing argument `{name}`"), None))
}

fn required(name: &str, description: &str) -> PromptArgument {
    PromptArgument::new(name)
        .with_description(description)
        .with_required(true)
}

fn user(content: ContentBlock) -> PromptMessage {
    PromptMessage::new(Role::User, content)
}

impl ServerHandler for ConformanceContent {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_completions()
                .build(),
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new("test://static-text", "static-text")
                .with_description("A static text resource")
                .with_mime_type("text/plain"),
            Resource::new("test://static-binary", "static-binary")
                .with_description("A static binary resource (a PNG)")
                .with_mime_type("image/png"),
            Resource::new("test://watched-resource", "watched-resource")
                .with_description("A resource clients may subscribe to")
                .with_mime_type("text/plain"),
        ]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("test://template/{id}/data", "template-data")
                .with_description("Data for one id")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = match uri {
            "test://static-text" => {
                ResourceContents::text("This is the content of the static text resource.", uri)
            }
            "test://watched-resource" => ResourceContents::text("The watched resource.", uri),
            "test://static-binary" => ResourceContents::BlobResourceContents {
                uri: uri.to_owned(),
                mime_type: Some("image/png".to_owned()),
                blob: PNG.to_owned(),
                meta: None,
            },
            _ => match uri
                .strip_prefix("test://template/")
                .and_then(|rest| rest.strip_suffix("/data"))
            {
                Some(id) if !id.is_empty() && !id.contains('/') => {
                    ResourceContents::TextResourceContents {
                        uri: uri.to_owned(),
                        mime_type: Some("application/json".to_owned()),
                        text: serde_json::json!({
                            "id": id,
                            "templateTest": true,
                            "data": format!("Data for ID: {id}"),
                        })
                        .to_string(),
                        meta: None,
                    }
                }
                _ => {
                    return Err(ErrorData::resource_not_found(
                        "resource not found",
                        Some(serde_json::json!({ "uri": uri })),
                    ));
                }
            },
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let session = session_of(&context);
        if let Ok(mut subscribed) = self.subscribed.lock() {
            if subscribed.len() >= MAX_SUBSCRIBED && !subscribed.contains_key(&request.uri) {
                return Err(ErrorData::invalid_request(
                    "too many resources are subscribed to",
                    None,
                ));
            }
            let peers = subscribed.entry(request.uri).or_default();
            if peers.len() >= MAX_SUBSCRIBERS && !peers.contains_key(&session) {
                return Err(ErrorData::invalid_request(
                    "too many subscribers to this resource",
                    None,
                ));
            }
            peers.insert(session, context.peer);
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let session = session_of(&context);
        if let Ok(mut subscribed) = self.subscribed.lock()
            && let Some(peers) = subscribed.get_mut(&request.uri)
        {
            peers.remove(&session);
            if peers.is_empty() {
                subscribed.remove(&request.uri);
            }
        }
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"uri": {"type": "string", "description": "The resource that changed"}},
            "required": ["uri"]
        });
        let serde_json::Value::Object(schema) = schema else {
            return Ok(ListToolsResult::default());
        };
        Ok(ListToolsResult::with_all_items(vec![Tool::new(
            "touch_resource",
            "Tells the subscribers of a resource that it changed",
            Arc::new(schema),
        )]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "touch_resource" {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        }
        let uri = request
            .arguments
            .as_ref()
            .and_then(|args| args.get("uri"))
            .and_then(|v| v.as_str())
            .ok_or_else(|| ErrorData::invalid_params("missing argument `uri`", None))?;
        let told = self.touch(uri).await;
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "{told} subscriber(s) told"
        ))])
        .into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(vec![
            Prompt::new(
                "test_simple_prompt",
                Some("A prompt without arguments"),
                None,
            ),
            Prompt::new(
                "test_prompt_with_arguments",
                Some("A prompt with two arguments"),
                Some(vec![
                    required("arg1", "First test argument"),
                    required("arg2", "Second test argument"),
                ]),
            ),
            Prompt::new(
                "test_prompt_with_embedded_resource",
                Some("A prompt embedding a resource"),
                Some(vec![required(
                    "resourceUri",
                    "URI of the resource to embed",
                )]),
            ),
            Prompt::new(
                "test_prompt_with_image",
                Some("A prompt with an image"),
                None,
            ),
        ]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let messages = match request.name.as_str() {
            "test_simple_prompt" => vec![user(ContentBlock::text(
                "This is a simple prompt for testing.",
            ))],
            "test_prompt_with_arguments" => vec![user(ContentBlock::text(format!(
                "Prompt with arguments: arg1='{}', arg2='{}'",
                argument(&request, "arg1")?,
                argument(&request, "arg2")?
            )))],
            "test_prompt_with_embedded_resource" => vec![
                user(ContentBlock::embedded_text(
                    argument(&request, "resourceUri")?,
                    "Embedded resource content for testing.",
                )),
                user(ContentBlock::text(
                    "Please process the embedded resource above.",
                )),
            ],
            "test_prompt_with_image" => vec![
                user(ContentBlock::image(PNG, "image/png")),
                user(ContentBlock::text("Please analyze the image above.")),
            ],
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown prompt: {other}"),
                    None,
                ));
            }
        };
        Ok(GetPromptResult::new(messages).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let candidates: &[&str] = match &request.r#ref {
            Reference::Prompt(prompt) if prompt.name == "test_prompt_with_arguments" => {
                &["test", "testing", "tested", "value"]
            }
            Reference::Resource(resource) if resource.uri == "test://template/{id}/data" => {
                &["1", "12", "123"]
            }
            _ => &[],
        };
        let typed = request.argument.value.as_str();
        let values: Vec<String> = candidates
            .iter()
            .filter(|c| c.starts_with(typed))
            .map(|c| (*c).to_owned())
            .collect();
        let info = CompletionInfo::new(values)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(CompleteResult::new(info))
    }
}
