//! Decoding details: text from the environment, shorthands, and one report per mistake.

use frontmcp_auth_config::{Checked, Loc, Node, NodeKind, Rule, TokenStorage, ToolAccess, check};

fn from_json(json: serde_json::Value) -> Checked {
    check(&Node::from_json(&json, Loc(0)))
}

/// Marks every string in the tree as text from the environment.
fn as_env_text(node: &mut Node) {
    node.from_text = matches!(node.kind, NodeKind::Str(_));
    match &mut node.kind {
        NodeKind::Table(entries) => entries.iter_mut().for_each(|(_, n)| as_env_text(n)),
        NodeKind::List(items) => items.iter_mut().for_each(as_env_text),
        _ => {}
    }
}

fn from_env_text(json: serde_json::Value) -> Checked {
    let mut node = Node::from_json(&json, Loc(0));
    as_env_text(&mut node);
    check(&node)
}

#[test]
fn environment_text_is_read_by_the_type_each_option_needs() {
    let checked = from_env_text(serde_json::json!({
        "http": { "port": "8080" },
        "auth": {
            "mode": "public",
            "session_ttl": "120",
            "anonymous_scopes": "anonymous, read",
            "public_access": { "tools": "[\"a\",\"b\"]", "prompts": "all", "rate_limit": "10" }
        }
    }));
    assert!(checked.is_ok(), "{:#?}", checked.violations);
    let auth = checked.config.effective_auth();
    assert_eq!(checked.config.http.port, 8080);
    assert_eq!(auth.session_ttl, 120);
    assert_eq!(auth.anonymous_scopes, ["anonymous", "read"]);
    assert_eq!(
        auth.public_access.tools,
        ToolAccess::Only(vec!["a".into(), "b".into()])
    );
    assert_eq!(auth.public_access.rate_limit, 10);
}

#[test]
fn environment_booleans_accept_the_usual_spellings() {
    for (text, expected) in [
        ("true", true),
        ("1", true),
        ("yes", true),
        ("off", false),
        ("0", false),
    ] {
        let checked = from_env_text(serde_json::json!({ "split_by_app": text }));
        assert!(checked.is_ok(), "{text}: {:#?}", checked.violations);
        assert_eq!(checked.config.split_by_app, expected, "{text}");
    }
    let checked = from_env_text(serde_json::json!({ "split_by_app": "maybe" }));
    assert_eq!(checked.violations[0].rule, Rule::InvalidValue);
    assert!(
        checked.violations[0]
            .message
            .contains("`maybe` is not a boolean")
    );
}

#[test]
fn typed_sources_do_not_coerce_text() {
    let checked = from_json(serde_json::json!({ "http": { "port": "8080" } }));
    assert_eq!(checked.violations.len(), 1);
    assert_eq!(checked.violations[0].rule, Rule::WrongType);
    assert_eq!(
        checked.violations[0].help.as_deref(),
        Some("remove the quotes")
    );
}

#[test]
fn block_shorthands() {
    let checked = from_json(serde_json::json!({
        "auth": { "mode": "local", "consent": true, "dcr": false, "token_storage": { "sqlite": true } }
    }));
    assert!(checked.is_ok(), "{:#?}", checked.violations);
    let auth = checked.config.effective_auth();
    assert!(auth.consent.enabled);
    assert_eq!(auth.dcr.enabled, Some(false));
    assert!(matches!(auth.token_storage, TokenStorage::Sqlite(_)));
}

#[test]
fn a_bad_mode_is_reported_once_not_as_a_cascade() {
    let checked = from_json(serde_json::json!({
        "auth": { "mode": "locla", "consent": { "enabled": true }, "refresh": { "access_token_ttl": 60 } }
    }));
    assert_eq!(checked.violations.len(), 1, "{:#?}", checked.violations);
    assert_eq!(
        checked.violations[0].help.as_deref(),
        Some("did you mean `local`?")
    );
}

#[test]
fn unknown_keys_suggest_the_nearest_or_list_the_valid_ones() {
    let checked = from_json(
        serde_json::json!({ "auth": { "mode": "local", "refresh": { "acess_token_ttl": 60, "zzz": 1 } } }),
    );
    let helps: Vec<&str> = checked
        .violations
        .iter()
        .filter_map(|v| v.help.as_deref())
        .collect();
    assert!(
        helps.contains(&"did you mean `access_token_ttl`?"),
        "{helps:?}"
    );
    assert!(
        helps
            .iter()
            .any(|h| h.starts_with("valid keys here: `enabled`")),
        "{helps:?}"
    );
}

#[test]
fn providers_keyed_by_id_must_not_contradict_their_id() {
    let checked = from_json(
        serde_json::json!({ "auth": { "mode": "local", "providers": { "github": {
        "id": "gitlab",
        "authorization_endpoint": "https://github.com/login/oauth/authorize",
        "token_endpoint": "https://github.com/login/oauth/access_token",
        "client_id": "x"
    } } } }),
    );
    assert_eq!(
        checked.violations[0].rule,
        Rule::ConflictingKeys,
        "{:#?}",
        checked.violations
    );
    assert!(
        checked.violations[0]
            .message
            .contains("differs from the entry's name `github`")
    );
}

#[test]
fn redirect_uris_reject_fragments_and_script_schemes() {
    let checked = from_json(
        serde_json::json!({ "auth": { "mode": "local", "dcr": { "clients": [
        { "client_id": "a", "redirect_uris": ["http://127.0.0.1/cb#frag"] },
        { "client_id": "b", "redirect_uris": ["javascript:alert(1)"] },
        { "client_id": "c", "redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback"] }
    ] } } }),
    );
    let messages: Vec<&str> = checked
        .violations
        .iter()
        .map(|v| v.message.as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[0].contains("must not have a fragment"));
    assert!(messages[1].contains("`javascript` scheme is never a valid redirect"));
}
