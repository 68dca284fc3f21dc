//! Exposed names: tool and prompt names that two apps share are namespaced as
//! `{app_id}.{name}`; unique names stay as they are.

use std::collections::HashMap;

use rmcp::model::{Prompt, Tool};

/// Exposed name → (app position, the app's own name).
pub(crate) type Routes = HashMap<String, (usize, String)>;

/// Gives each `(app, name)` its exposed name: the name itself when no other app uses it,
/// `{app_id}.{name}` when two apps share it. Returns the exposed names in order and the routes.
pub(crate) fn namespace(app_ids: &[&str], names: &[(usize, String)]) -> (Vec<String>, Routes) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, name) in names {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    let mut routes = Routes::new();
    let exposed = names
        .iter()
        .map(|(position, own)| {
            let exposed = if counts.get(own.as_str()).copied().unwrap_or(0) > 1 {
                format!("{}.{own}", app_ids[*position])
            } else {
                own.clone()
            };
            routes.insert(exposed.clone(), (*position, own.clone()));
            exposed
        })
        .collect();
    (exposed, routes)
}

/// A listed item with a name: a tool or a prompt.
pub(crate) trait Named {
    fn name(&self) -> &str;
    fn rename(&mut self, name: String);
}

impl Named for Tool {
    fn name(&self) -> &str {
        &self.name
    }

    fn rename(&mut self, name: String) {
        self.name = name.into();
    }
}

impl Named for Prompt {
    fn name(&self) -> &str {
        &self.name
    }

    fn rename(&mut self, name: String) {
        self.name = name;
    }
}

/// Renames every app's items to their exposed names, returning them with the routes back.
pub(crate) fn expose<T: Named>(
    app_ids: &[&str],
    items: Vec<(usize, T)>,
) -> (Vec<(usize, T)>, Routes) {
    let names: Vec<(usize, String)> = items
        .iter()
        .map(|(p, item)| (*p, item.name().to_owned()))
        .collect();
    let (exposed, routes) = namespace(app_ids, &names);
    let items = items
        .into_iter()
        .zip(exposed)
        .map(|((position, mut item), name)| {
            item.rename(name);
            (position, item)
        })
        .collect();
    (items, routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shared_names_are_namespaced() {
        let names = vec![
            (0, "status".to_owned()),
            (0, "add".to_owned()),
            (1, "status".to_owned()),
        ];
        let (exposed, routes) = namespace(&["math", "billing"], &names);
        assert_eq!(exposed, ["math.status", "add", "billing.status"]);
        assert_eq!(
            routes.get("billing.status"),
            Some(&(1, "status".to_owned()))
        );
        assert_eq!(routes.get("add"), Some(&(0, "add".to_owned())));
    }
}
