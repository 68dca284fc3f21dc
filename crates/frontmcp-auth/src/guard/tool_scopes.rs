//! Per-tool scope requirements, resolved against the tools the composed server exposes. A
//! requirement is declared for `tool` (every app's tool of that name) or `app.tool` (one app's);
//! it applies to that tool however composition exposes it (`tool` when unique, `app.tool` when
//! two apps share the name). The exposed names are listed once, on first use.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::OnceCell;

/// One tool as composition exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRoute {
    /// The name clients call.
    pub exposed: String,
    /// The app serving it.
    pub app: String,
    /// The app's own name for it.
    pub own: String,
}

/// Lists the exposed tools (the composed server).
pub trait ToolRoutes: Send + Sync {
    /// Every tool, with its app and own name.
    fn routes(&self) -> BoxFuture<'_, Result<Vec<ToolRoute>, String>>;
}

/// The requirements, and their resolution.
#[derive(Default)]
pub struct ToolScopes {
    declared: BTreeMap<String, Vec<String>>,
    routes: Option<Arc<dyn ToolRoutes>>,
    resolved: OnceCell<HashMap<String, Vec<String>>>,
}

impl std::fmt::Debug for ToolScopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolScopes")
            .field("declared", &self.declared)
            .finish_non_exhaustive()
    }
}

impl ToolScopes {
    /// `declared` requirements, resolved against `routes` when given (else by exposed name).
    pub fn new(
        declared: BTreeMap<String, Vec<String>>,
        routes: Option<Arc<dyn ToolRoutes>>,
    ) -> Self {
        Self {
            declared,
            routes,
            resolved: OnceCell::new(),
        }
    }

    /// Whether any tool requires scopes.
    pub fn is_empty(&self) -> bool {
        self.declared.is_empty()
    }

    /// The scopes each exposed tool requires.
    pub async fn by_exposed_name(&self) -> &HashMap<String, Vec<String>> {
        self.resolved
            .get_or_init(|| async {
                let routes = match &self.routes {
                    Some(lister) => match lister.routes().await {
                        Ok(routes) => routes,
                        Err(e) => {
                            tracing::error!(target: "frontmcp_auth::guard", error = %e, "cannot list the tools; per-tool scopes apply by exposed name only");
                            Vec::new()
                        }
                    },
                    None => Vec::new(),
                };
                resolve(&self.declared, &routes)
            })
            .await
    }
}

/// Each exposed tool's requirement: the union of what is declared for its exposed name, its
/// own name and `app.own`. Without routes, the declarations by exposed name.
pub fn resolve(
    declared: &BTreeMap<String, Vec<String>>,
    routes: &[ToolRoute],
) -> HashMap<String, Vec<String>> {
    if routes.is_empty() {
        return declared.clone().into_iter().collect();
    }
    let mut resolved = HashMap::new();
    for route in routes {
        let mut scopes: Vec<String> = Vec::new();
        let qualified = format!("{}.{}", route.app, route.own);
        for key in [&route.exposed, &route.own, &qualified] {
            for scope in declared.get(key.as_str()).into_iter().flatten() {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        if !scopes.is_empty() {
            resolved.insert(route.exposed.clone(), scopes);
        }
    }
    resolved
}

/// The declared names that match no tool (neither an exposed name, an own name, nor
/// `app.own`).
pub fn unknown(declared: &BTreeMap<String, Vec<String>>, routes: &[ToolRoute]) -> Vec<String> {
    declared
        .keys()
        .filter(|key| {
            !routes.iter().any(|r| {
                **key == r.exposed || **key == r.own || **key == format!("{}.{}", r.app, r.own)
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(exposed: &str, app: &str, own: &str) -> ToolRoute {
        ToolRoute {
            exposed: exposed.into(),
            app: app.into(),
            own: own.into(),
        }
    }

    #[test]
    fn a_requirement_follows_its_tool_under_name_spacing() {
        let routes = [
            route("add", "math", "add"),
            route("math.status", "math", "status"),
            route("billing.status", "billing", "status"),
        ];
        let mut declared = BTreeMap::new();
        declared.insert("math.add".to_owned(), vec!["math:write".to_owned()]);
        declared.insert("billing.status".to_owned(), vec!["billing".to_owned()]);
        declared.insert("status".to_owned(), vec!["status".to_owned()]);
        let resolved = resolve(&declared, &routes);
        assert_eq!(resolved["add"], ["math:write"]);
        assert_eq!(resolved["math.status"], ["status"]);
        assert_eq!(resolved["billing.status"], ["billing", "status"]);
        declared.insert("nothing".to_owned(), vec!["x".to_owned()]);
        declared.insert("billing.add".to_owned(), vec!["x".to_owned()]);
        assert_eq!(unknown(&declared, &routes), ["billing.add", "nothing"]);
    }
}
