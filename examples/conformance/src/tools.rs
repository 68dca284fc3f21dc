//! The tools of the conformance scenarios.

// Logging and sampling are deprecated in the newest protocol version; the scenarios (and clients
// of the earlier versions) use them.
#![allow(deprecated)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, CreateMessageRequestParams, ElicitRequestParams, JsonObject,
    LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam, RequestMetaObject,
    ServerCapabilities, ServerConfig, SetLevelRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, Peer, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;

/// A 1×1 red PNG.
pub const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
/// Eight silent samples of 16-bit mono WAV.
const WAV: &str =
    "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The conformance scenarios' tools, with a logging level set by `logging/setLevel`.
#[derive(Debug, Clone, Default)]
pub struct ConformanceTools {
    level: Arc<Mutex<Option<LoggingLevel>>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct SamplingArgs {
    /// The prompt to send to the model.
    prompt: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ElicitationArgs {
    /// The message to show the user.
    message: String,
}

fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// An input schema using JSON Schema 2020-12 keywords (`$schema`, `$defs`, `$ref`).
fn schema_2020_12() -> Arc<JsonObject> {
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"}
        },
        "additionalProperties": false
    });
    match schema {
        serde_json::Value::Object(object) => Arc::new(object),
        _ => Arc::default(),
    }
}

fn failed(error: impl std::fmt::Display) -> ErrorData {
    ErrorData::internal_error(error.to_string(), None)
}

impl ConformanceTools {
    async fn log(&self, peer: &Peer<RoleServer>, level: LoggingLevel, message: &str) {
        let floor = self
            .level
            .lock()
            .map(|l| l.unwrap_or(LoggingLevel::Info))
            .unwrap_or(LoggingLevel::Info);
        if severity(level) >= severity(floor) {
            let _ = peer
                .notify_logging_message(LoggingMessageNotificationParam::new(
                    level,
                    serde_json::json!(message),
                ))
                .await;
        }
    }

    async fn elicit(
        peer: &Peer<RoleServer>,
        params: serde_json::Value,
    ) -> Result<CallToolResult, ErrorData> {
        let params: ElicitRequestParams = serde_json::from_value(params).map_err(failed)?;
        let answer = peer.create_elicitation(params).await.map_err(failed)?;
        let content = answer.content.unwrap_or(serde_json::Value::Null);
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "Elicitation completed: action={}, content={content}",
            serde_json::to_value(&answer.action).map_err(failed)?
        ))]))
    }
}

#[tool_router]
impl ConformanceTools {
    #[tool(description = "Returns a simple text result")]
    async fn test_simple_text(&self) -> String {
        "This is a simple text response for testing.".to_owned()
    }

    #[tool(description = "Returns an image")]
    async fn test_image_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::image(PNG, "image/png")])
    }

    #[tool(description = "Returns audio")]
    async fn test_audio_content(&self) -> Result<CallToolResult, ErrorData> {
        let audio = serde_json::json!({"type": "audio", "data": WAV, "mimeType": "audio/wav"});
        Ok(CallToolResult::success(vec![
            serde_json::from_value(audio).map_err(failed)?,
        ]))
    }

    #[tool(description = "Returns an embedded resource")]
    async fn test_embedded_resource(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::embedded_text(
            "test://embedded-resource",
            "This is an embedded resource content.",
        )])
    }

    #[tool(description = "Returns text, an image and an embedded resource")]
    async fn test_multiple_content_types(&self) -> Result<CallToolResult, ErrorData> {
        let resource = serde_json::json!({"type": "resource", "resource": {
            "uri": "test://mixed-content-resource",
            "mimeType": "application/json",
            "text": "{\"test\":\"data\",\"value\":123}"
        }});
        Ok(CallToolResult::success(vec![
            ContentBlock::text("Multiple content types test:"),
            ContentBlock::image(PNG, "image/png"),
            serde_json::from_value(resource).map_err(failed)?,
        ]))
    }

    #[tool(description = "Sends three log messages while it runs")]
    async fn test_tool_with_logging(&self, peer: Peer<RoleServer>) -> String {
        self.log(&peer, LoggingLevel::Info, "Tool execution started")
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.log(&peer, LoggingLevel::Info, "Tool processing data")
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.log(&peer, LoggingLevel::Info, "Tool execution completed")
            .await;
        "Tool with logging executed successfully".to_owned()
    }

    #[tool(
        description = "Tool with JSON Schema 2020-12 features",
        input_schema = schema_2020_12()
    )]
    async fn json_schema_2020_12_tool(&self, arguments: JsonObject) -> String {
        format!("received {}", serde_json::Value::Object(arguments))
    }

    #[tool(description = "Returns a tool error (isError: true)")]
    async fn test_error_handling(&self) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(
            "This tool intentionally returns an error for testing",
        )])
    }

    #[tool(description = "Reports progress 0, 50 and 100 of 100")]
    async fn test_tool_with_progress(
        &self,
        peer: Peer<RoleServer>,
        meta: RequestMetaObject,
    ) -> String {
        for (step, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if step > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if let Some(token) = meta.get_progress_token() {
                let _ = peer
                    .notify_progress(
                        ProgressNotificationParam::new(token, progress).with_total(100.0),
                    )
                    .await;
            }
        }
        "Tool with progress executed successfully".to_owned()
    }

    #[tool(description = "Asks the client's model to answer a prompt")]
    async fn test_sampling(
        &self,
        peer: Peer<RoleServer>,
        Parameters(args): Parameters<SamplingArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let params: CreateMessageRequestParams = serde_json::from_value(serde_json::json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": args.prompt}}],
            "maxTokens": 100
        }))
        .map_err(failed)?;
        let answer = peer.create_message(params).await.map_err(failed)?;
        let text = serde_json::to_value(&answer.message.content)
            .ok()
            .and_then(|c| {
                let first = if c.is_array() { c.get(0)?.clone() } else { c };
                first.get("text")?.as_str().map(str::to_owned)
            })
            .unwrap_or_default();
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "LLM response: {text}"
        ))]))
    }

    #[tool(description = "Asks the user for a username and an email")]
    async fn test_elicitation(
        &self,
        peer: Peer<RoleServer>,
        Parameters(args): Parameters<ElicitationArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        Self::elicit(
            &peer,
            serde_json::json!({
                "mode": "form",
                "message": args.message,
                "requestedSchema": {
                    "type": "object",
                    "properties": {
                        "username": {"type": "string", "description": "User's response"},
                        "email": {"type": "string", "description": "User's email address"}
                    },
                    "required": ["username", "email"]
                }
            }),
        )
        .await
    }

    #[tool(description = "Elicitation with a default for every primitive type (SEP-1034)")]
    async fn test_elicitation_sep1034_defaults(
        &self,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        Self::elicit(
            &peer,
            serde_json::json!({
                "mode": "form",
                "message": "Please review and update the form fields with defaults",
                "requestedSchema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "default": "John Doe"},
                        "age": {"type": "integer", "default": 30},
                        "score": {"type": "number", "default": 95.5},
                        "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
                        "verified": {"type": "boolean", "default": true}
                    }
                }
            }),
        )
        .await
    }

    #[tool(description = "Elicitation with the five enum forms (SEP-1330)")]
    async fn test_elicitation_sep1330_enums(
        &self,
        peer: Peer<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        Self::elicit(
            &peer,
            serde_json::json!({
                "mode": "form",
                "message": "Please select options from the enum fields",
                "requestedSchema": {
                    "type": "object",
                    "properties": {
                        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                        "titledSingle": {"type": "string", "oneOf": [
                            {"const": "value1", "title": "First Option"},
                            {"const": "value2", "title": "Second Option"},
                            {"const": "value3", "title": "Third Option"}
                        ]},
                        "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"],
                            "enumNames": ["Option One", "Option Two", "Option Three"]},
                        "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                        "titledMulti": {"type": "array", "items": {"anyOf": [
                            {"const": "value1", "title": "First Choice"},
                            {"const": "value2", "title": "Second Choice"},
                            {"const": "value3", "title": "Third Choice"}
                        ]}}
                    }
                }
            }),
        )
        .await
    }
}

#[tool_handler]
impl ServerHandler for ConformanceTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_logging()
                .build(),
        )
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Ok(mut level) = self.level.lock() {
            *level = Some(request.level);
        }
        Ok(())
    }
}
