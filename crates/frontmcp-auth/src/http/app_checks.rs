//! Start-up checks of what the apps serve against the configuration: every per-tool, per-prompt
//! and per-resource scope requirement names something the apps serve (a misspelt name would leave
//! it unprotected), and no resource URI is served by two apps.

use crate::Error;
use crate::definition::ServerDefinition;
use crate::mcp::ComposedServer;

fn composed(loaded: &crate::config::LoadedConfig, definition: &ServerDefinition) -> ComposedServer {
    let config = &loaded.config;
    let apps: Vec<_> = definition
        .apps()
        .unwrap_or_default()
        .iter()
        .filter_map(|app| app.factory.as_ref().map(|f| (app.id.clone(), (f.0)())))
        .collect();
    ComposedServer::new(&config.info.name, &config.info.version, apps)
}

/// The problem of a scope table (`key`) naming what the server does not serve, if it does.
fn unknown_names(
    key: &str,
    kind: &str,
    declared: &std::collections::BTreeMap<String, Vec<String>>,
    served: &[String],
) -> Option<String> {
    let unknown: Vec<&str> = declared
        .keys()
        .filter(|name| !served.contains(name))
        .map(String::as_str)
        .collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "{key} names no {kind} of this server: {} (served: {})",
            unknown.join(", "),
            served.join(", ")
        )
    })
}

/// Every start-up check of the apps: [`check_tool_scopes`], then the prompt and resource scope
/// requirements and resource URI clashes.
///
/// # Errors
///
/// [`Error::Unservable`] listing every problem found.
pub async fn check_apps(
    loaded: &crate::config::LoadedConfig,
    definition: &ServerDefinition,
) -> Result<(), Error> {
    check_tool_scopes(loaded, definition).await?;
    let config = &loaded.config;
    let composed = composed(loaded, definition);
    let mut problems = composed
        .clashes()
        .await
        .map_err(|what| Error::Unservable { what })?;
    if !config.prompt_scopes.is_empty() || !config.resource_scopes.is_empty() {
        let (prompts, uris) = composed
            .content_names()
            .await
            .map_err(|what| Error::Unservable { what })?;
        problems.extend(unknown_names(
            "prompt_scopes",
            "prompt",
            &config.prompt_scopes,
            &prompts,
        ));
        problems.extend(unknown_names(
            "resource_scopes",
            "resource or resource template",
            &config.resource_scopes,
            &uris,
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Unservable {
            what: problems.join("; "),
        })
    }
}

/// Checks that every per-tool scope requirement names a tool one of the server's apps serves
/// (as `tool` or `app.tool`): a misspelt name would leave the tool unprotected.
///
/// # Errors
///
/// [`Error::Unservable`] naming the requirements that match no tool.
pub async fn check_tool_scopes(
    loaded: &crate::config::LoadedConfig,
    definition: &ServerDefinition,
) -> Result<(), Error> {
    use crate::guard::ToolRoutes;
    let config = &loaded.config;
    let declared = super::router::tool_scopes(definition, config);
    if declared.is_empty() {
        return Ok(());
    }
    let composed = composed(loaded, definition);
    let routes = composed
        .routes()
        .await
        .map_err(|what| Error::Unservable { what })?;
    let unknown = crate::guard::tool_scopes::unknown(&declared, &routes);
    if unknown.is_empty() {
        return Ok(());
    }
    let mut known: Vec<String> = routes.into_iter().map(|r| r.exposed).collect();
    known.sort();
    Err(Error::Unservable {
        what: format!(
            "tool_scopes names no tool of this server: {} (its tools: {})",
            unknown.join(", "),
            known.join(", ")
        ),
    })
}
