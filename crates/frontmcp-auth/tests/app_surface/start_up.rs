//! What start-up refuses: a scope requirement naming no prompt or resource, and a resource URI
//! two apps serve.

use serde_json::json;

use super::common::apps::{DocsApp, MathApp};
use frontmcp_auth::ServerDefinition;
use frontmcp_auth::config::{Environment, FileChoice};

async fn check(definition: &ServerDefinition) -> Result<(), String> {
    let loaded = definition
        .loader()
        .env(Environment::from_pairs::<&str, &str>([]))
        .file(FileChoice::None)
        .load()
        .expect("the rulebook accepts it");
    frontmcp_auth::http::check_apps(&loaded, definition)
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_scope_naming_no_prompt_or_resource_stops_start_up() {
    let misspelt = ServerDefinition::new("Misspelt")
        .with_base(json!({
            "resource_scopes": {"docs://secrets": ["x"], "docs://pages/{id}": ["y"]},
            "prompt_scopes": {"summarize": ["z"]},
        }))
        .app::<MathApp>("math")
        .app::<DocsApp>("docs");
    let message = check(&misspelt).await.expect_err("no such names");
    assert!(
        message.contains("prompt_scopes names no prompt of this server: summarize")
            && message.contains("resource_scopes names no resource")
            && message.contains("docs://secrets")
            && !message.contains("docs://pages/{id},"),
        "{message}"
    );
    let fine = ServerDefinition::new("Fine")
        .with_base(json!({"resource_scopes": {"docs://pages/{id}": ["y"]}}))
        .app::<DocsApp>("docs");
    check(&fine).await.expect("the template exists");
}

#[tokio::test]
async fn a_resource_two_apps_serve_stops_start_up() {
    let twice = ServerDefinition::new("Twice")
        .app::<DocsApp>("docs")
        .app::<DocsApp>("mirror");
    let message = check(&twice).await.expect_err("a clash");
    assert!(
        message.contains("resource docs://handbook is served by apps `docs` and `mirror`")
            && message.contains("docs://pages/{id}"),
        "{message}"
    );
}
