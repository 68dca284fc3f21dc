//! Exposed names: tool and prompt names that two apps share are namespaced as
//! `{app_id}.{name}`; unique names stay as they are.

use std::collections::HashMap;
use std::time::Duration;

use rmcp::model::{Prompt, Tool};
use tokio::sync::RwLock;
use tokio::time::Instant;

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

/// How long a listing answers for unknown names: a request naming something no app listed lists
/// the apps again at most this often, so a flood of unknown names cannot make every request list
/// every app.
pub(crate) const RELIST_AFTER: Duration = Duration::from_secs(1);

/// Who a listing was made for (an app may list differently for each user and client): the
/// caller's subject and client, from [`super::gates::caller`].
pub(crate) type Lister = String;

/// What a cached listing says about one name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup<T> {
    /// Listed: its route.
    Found(T),
    /// Not in a listing made for the same caller less than [`RELIST_AFTER`] ago.
    Missing,
    /// Not listed, or not in a listing old enough (or made for another caller) to list again.
    Stale,
}

/// Routes as last listed, when, and for whom.
#[derive(Debug, Default)]
pub(crate) struct RouteCache(RwLock<Option<(Routes, Instant, Lister)>>);

impl RouteCache {
    /// Keeps `routes`, listed now for `lister`.
    pub async fn store(&self, routes: Routes, lister: Lister) {
        *self.0.write().await = Some((routes, Instant::now(), lister));
    }

    /// The route of `name` for the caller `lister` (computed only when the name is missing).
    pub async fn lookup(
        &self,
        name: &str,
        lister: impl FnOnce() -> Lister,
    ) -> Lookup<(usize, String)> {
        match self.0.read().await.as_ref() {
            Some((routes, ..)) if routes.contains_key(name) => routes
                .get(name)
                .cloned()
                .map_or(Lookup::Stale, Lookup::Found),
            Some((_, at, by)) if at.elapsed() < RELIST_AFTER && *by == lister() => Lookup::Missing,
            _ => Lookup::Stale,
        }
    }
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

    #[tokio::test(start_paused = true)]
    async fn an_unknown_name_lists_again_at_most_once_a_second_per_caller() {
        let cache = RouteCache::default();
        let ada = || Lister::from("ada");
        let add = || Lookup::Found((0, "add".to_owned()));
        assert_eq!(
            cache.lookup("add", ada).await,
            Lookup::Stale,
            "never listed"
        );
        let routes = Routes::from([("add".to_owned(), (0, "add".to_owned()))]);
        cache.store(routes, ada()).await;
        assert_eq!(cache.lookup("add", ada).await, add());
        assert_eq!(cache.lookup("nope", ada).await, Lookup::Missing);
        assert_eq!(
            cache.lookup("nope", || Lister::from("bob")).await,
            Lookup::Stale,
            "ada's listing does not answer for bob: his apps may list more"
        );
        tokio::time::advance(RELIST_AFTER).await;
        assert_eq!(cache.lookup("nope", ada).await, Lookup::Stale);
        assert_eq!(cache.lookup("add", ada).await, add());
    }

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
