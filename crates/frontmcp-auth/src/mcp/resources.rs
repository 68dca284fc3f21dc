//! Resources of several apps, routed by URI.
//!
//! URIs are not namespaced: a URI names one thing, and clients keep the URIs they were given.
//! When two apps list the same URI (or the same URI template), the first app in declaration
//! order serves it and the other's entry is dropped, with a warning in the log; start-up refuses
//! such a clash among what the apps list at start ([`super::ComposedServer::clashes`]). A URI no
//! app lists is routed to the first app whose template matches it, and is otherwise not found.

use std::collections::HashMap;

use super::uri_template;

/// Where each resource URI and template goes, as listed at `listed_at`.
#[derive(Debug)]
pub(crate) struct ResourceRoutes {
    /// When the apps were listed.
    pub listed_at: tokio::time::Instant,
    /// For whom ([`super::gates::caller`]).
    pub lister: super::names::Lister,
    /// Listed URI → app position.
    pub uris: HashMap<String, usize>,
    /// Templates in app order: (app position, URI template).
    pub templates: Vec<(usize, String)>,
}

impl ResourceRoutes {
    /// The app serving `uri` and, when it is served through a template, that template (`uri`
    /// may also be a template itself, as completions name them).
    pub fn resolve(&self, uri: &str) -> Option<(usize, Option<&str>)> {
        if let Some(position) = self.uris.get(uri) {
            return Some((*position, None));
        }
        self.templates
            .iter()
            .find(|(_, template)| template == uri || uri_template::matches(template, uri))
            .map(|(position, template)| (*position, Some(template.as_str())))
    }
}

/// One URI (or template) that two apps list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clash {
    pub uri: String,
    pub kept: usize,
    pub dropped: usize,
}

/// Keeps the first of the items sharing a key (in app order) and reports the others.
pub(crate) fn first_wins<T>(
    items: Vec<(usize, T)>,
    key: impl Fn(&T) -> &str,
) -> (Vec<(usize, T)>, Vec<Clash>) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut kept = Vec::with_capacity(items.len());
    let mut clashes = Vec::new();
    for (position, item) in items {
        let uri = key(&item);
        match seen.get(uri) {
            Some(first) => clashes.push(Clash {
                uri: uri.to_owned(),
                kept: *first,
                dropped: position,
            }),
            None => {
                seen.insert(uri.to_owned(), position);
                kept.push((position, item));
            }
        }
    }
    (kept, clashes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_app_keeps_a_shared_uri_and_templates_route_the_rest() {
        let (kept, clashes) = first_wins(
            vec![(0, "a://x"), (1, "a://x"), (1, "a://y")],
            |uri: &&str| uri,
        );
        assert_eq!(kept, [(0, "a://x"), (1, "a://y")]);
        assert_eq!(
            clashes,
            [Clash {
                uri: "a://x".into(),
                kept: 0,
                dropped: 1
            }]
        );
        let routes = ResourceRoutes {
            listed_at: tokio::time::Instant::now(),
            lister: String::new(),
            uris: kept.iter().map(|(p, u)| ((*u).to_owned(), *p)).collect(),
            templates: vec![(1, "a://t/{id}".into())],
        };
        assert_eq!(routes.resolve("a://x"), Some((0, None)));
        assert_eq!(routes.resolve("a://t/9"), Some((1, Some("a://t/{id}"))));
        assert_eq!(routes.resolve("a://t/{id}"), Some((1, Some("a://t/{id}"))));
        assert_eq!(routes.resolve("a://z"), None);
    }
}
