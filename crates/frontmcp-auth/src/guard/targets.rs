//! What the guard checks in a request's JSON-RPC calls before it reaches the apps: public access
//! for anonymous callers (tools, prompts, resources) and the scopes each tool, prompt or resource
//! requires.

use std::collections::{BTreeMap, HashMap};

use frontmcp_auth_config::ToolAccess;

use super::{AuthContext, Rejection, RpcTarget};
use crate::mcp::gates::access_allows;

/// Public access and per-item scope requirements.
#[derive(Debug, Default)]
pub(crate) struct TargetRules {
    pub public_tools: ToolAccess,
    pub public_prompts: ToolAccess,
    pub public_resources: ToolAccess,
    /// Scopes by prompt name (as clients see it).
    pub prompt_scopes: BTreeMap<String, Vec<String>>,
    /// Scopes by resource URI or URI template.
    pub resource_scopes: BTreeMap<String, Vec<String>>,
}

/// What a target is, by its method.
enum Kind {
    Tool,
    Prompt,
    Resource,
    Other,
}

fn kind(target: &RpcTarget) -> Kind {
    match target.method.as_str() {
        "tools/call" => Kind::Tool,
        "prompts/get" => Kind::Prompt,
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => Kind::Resource,
        // A completion is about a prompt's or a resource template's arguments.
        "completion/complete" if target.uri.is_some() => Kind::Resource,
        "completion/complete" => Kind::Prompt,
        _ => Kind::Other,
    }
}

impl TargetRules {
    /// Whether callers without a token are limited at all.
    pub fn restricts_anonymous(&self) -> bool {
        [
            &self.public_tools,
            &self.public_prompts,
            &self.public_resources,
        ]
        .iter()
        .any(|access| !matches!(access, ToolAccess::All))
    }

    /// Whether any prompt or resource requires scopes.
    pub fn has_scopes(&self) -> bool {
        !self.prompt_scopes.is_empty() || !self.resource_scopes.is_empty()
    }

    fn anonymous_may_call(&self, target: &RpcTarget) -> bool {
        let name = target.name.as_deref();
        let uri = target.uri.as_deref();
        match kind(target) {
            Kind::Tool => allowed(&self.public_tools, name, false),
            Kind::Prompt => allowed(&self.public_prompts, name, false),
            Kind::Resource => allowed(&self.public_resources, uri, true),
            Kind::Other => true,
        }
    }

    /// The scopes `target` requires, if any.
    fn required<'a>(
        &'a self,
        target: &RpcTarget,
        tool_scopes: Option<&'a HashMap<String, Vec<String>>>,
    ) -> Option<&'a Vec<String>> {
        match kind(target) {
            Kind::Tool => tool_scopes?.get(target.name.as_deref()?),
            Kind::Prompt => self.prompt_scopes.get(target.name.as_deref()?),
            Kind::Resource => {
                let uri = target.uri.as_deref()?;
                self.resource_scopes.get(uri).or_else(|| {
                    self.resource_scopes.iter().find_map(|(pattern, scopes)| {
                        access_allows(&ToolAccess::Only(vec![pattern.clone()]), uri, true)
                            .then_some(scopes)
                    })
                })
            }
            Kind::Other => None,
        }
    }

    /// Public access for anonymous callers, then each target's required scopes.
    pub fn check(
        &self,
        context: &AuthContext,
        targets: &[RpcTarget],
        tool_scopes: Option<&HashMap<String, Vec<String>>>,
    ) -> Result<(), Rejection> {
        if context.anonymous && targets.iter().any(|t| !self.anonymous_may_call(t)) {
            return Err(Rejection::MissingToken);
        }
        for target in targets {
            let Some(required) = self.required(target, tool_scopes) else {
                continue;
            };
            if !context.missing_scopes(required).is_empty() {
                return Err(if context.anonymous {
                    Rejection::MissingToken
                } else {
                    Rejection::InsufficientScope {
                        scopes: required.clone(),
                    }
                });
            }
        }
        Ok(())
    }
}

fn allowed(access: &ToolAccess, name: Option<&str>, resource: bool) -> bool {
    match access {
        ToolAccess::All => true,
        ToolAccess::Only(_) => name.is_some_and(|n| access_allows(access, n, resource)),
    }
}
