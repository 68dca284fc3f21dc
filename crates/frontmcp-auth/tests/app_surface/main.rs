//! Every primitive behind the same gates: an app's resources, resource templates and prompts are
//! forwarded by composition, and progressive authorization, consent, public access and per-item
//! scopes cover them as they cover tools, in lists as in requests.

#[path = "../common/mod.rs"]
mod common;

mod gates;
mod start_up;

use common::mcp::{Answer, Client};
use serde_json::{Value, json};

/// The URIs of `resources/list`.
async fn resource_uris(mcp: &mut Client) -> Vec<String> {
    let answer = mcp.request("resources/list", json!({})).await;
    strings(&answer.result()["resources"], "uri")
}

/// The templates of `resources/templates/list`.
async fn templates(mcp: &mut Client) -> Vec<String> {
    let answer = mcp.request("resources/templates/list", json!({})).await;
    strings(&answer.result()["resourceTemplates"], "uriTemplate")
}

/// The names of `prompts/list`.
async fn prompt_names(mcp: &mut Client) -> Vec<String> {
    let answer = mcp.request("prompts/list", json!({})).await;
    strings(&answer.result()["prompts"], "name")
}

fn strings(items: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = items
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|item| item[key].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

/// `resources/read` of `uri`.
async fn read(mcp: &mut Client, uri: &str) -> Answer {
    mcp.request("resources/read", json!({ "uri": uri })).await
}

/// The text of a `resources/read` answer.
fn contents(answer: &Answer) -> String {
    answer.result()["contents"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The JSON-RPC error of an answer.
fn error_of(answer: &Answer) -> Value {
    answer
        .message
        .as_ref()
        .and_then(|m| m.get("error"))
        .cloned()
        .unwrap_or_else(|| panic!("no error in {} {}", answer.status, answer.text))
}
