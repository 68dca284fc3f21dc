//! Options served by a Cargo feature this build may have been compiled without: each one
//! configured while its feature is off is a `feature_not_compiled` violation, listed with the
//! others at start-up, never a silent fallback.

use frontmcp_auth_config::{KeyIndex, KeyPath, Rule, ServerConfig, TokenStorage, Violation};

/// The Cargo features of this build that serve configuration options.
pub const COMPILED: &[(&str, bool)] = &[
    ("sqlite", cfg!(feature = "sqlite")),
    ("redis", cfg!(feature = "redis")),
    ("passkeys", cfg!(feature = "passkeys")),
];

fn compiled(feature: &str) -> bool {
    COMPILED.iter().any(|(name, on)| *name == feature && *on)
}

fn refuse(index: &KeyIndex, path: KeyPath, feature: &str, what: &str) -> Violation {
    let loc = index.loc(&path);
    Violation::new(
        Rule::FeatureNotCompiled,
        path,
        loc,
        format!(
            "{what} needs the `{feature}` feature of frontmcp-auth, which this build was compiled without"
        ),
    )
    .help(format!(
        "enable it: frontmcp-auth = {{ version = \"...\", features = [\"{feature}\"] }}"
    ))
}

/// Every option of `config` whose feature is off in this build.
pub fn compiled_out(config: &ServerConfig, index: &KeyIndex) -> Vec<Violation> {
    let mut auths = Vec::new();
    if let Some(auth) = &config.auth {
        auths.push((KeyPath::root().key("auth"), auth));
    }
    for app in &config.apps {
        if let Some(auth) = &app.auth {
            auths.push((KeyPath::root().key("apps").key(&app.id).key("auth"), auth));
        }
    }
    let mut found = Vec::new();
    for (base, auth) in auths {
        let storage = base.key("token_storage");
        match &auth.token_storage {
            TokenStorage::Sqlite(_) if !compiled("sqlite") => found.push(refuse(
                index,
                storage.key("sqlite"),
                "sqlite",
                "the SQLite token storage",
            )),
            TokenStorage::Redis(_) if !compiled("redis") => found.push(refuse(
                index,
                storage.key("redis"),
                "redis",
                "the Redis token storage",
            )),
            _ => {}
        }
        if auth.login.passkeys && !compiled("passkeys") {
            found.push(refuse(
                index,
                base.key("login").key("passkeys"),
                "passkeys",
                "passkey sign-in",
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_of_features_follows_the_build() {
        assert_eq!(compiled("sqlite"), cfg!(feature = "sqlite"));
        assert_eq!(compiled("redis"), cfg!(feature = "redis"));
        assert_eq!(compiled("passkeys"), cfg!(feature = "passkeys"));
        assert!(!compiled("no-such-feature"));
    }
}
