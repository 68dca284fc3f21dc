//! `auth.login(...)` and the server-level `ui(...)`.

use super::reader::Decoder;
use super::set;
use crate::model::{AuthenticatorKind, LoginConfig, UiConfig};
use crate::node::Node;
use crate::path::KeyPath;

const AUTHENTICATORS: &[(&str, AuthenticatorKind)] = &[
    ("demo", AuthenticatorKind::Demo),
    ("password", AuthenticatorKind::Password),
    ("custom", AuthenticatorKind::Custom),
];

pub(super) fn decode_login(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<LoginConfig> {
    let mut t = d.table(node, path)?;
    let mut config = LoginConfig {
        authenticator: t.read(d, "authenticator", |d, n, p| d.choice(n, p, AUTHENTICATORS)),
        users_file: t.read(d, "users_file", Decoder::name),
        ..LoginConfig::default()
    };
    set(&mut config.passkeys, t.read(d, "passkeys", Decoder::bool));
    set(
        &mut config.max_failures,
        t.read(d, "max_failures", Decoder::u64),
    );
    set(
        &mut config.max_failures_per_ip,
        t.read(d, "max_failures_per_ip", Decoder::u64),
    );
    set(
        &mut config.failure_window,
        t.read(d, "failure_window", Decoder::u64),
    );
    t.finish(d);
    Some(config)
}

pub(super) fn decode_ui(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<UiConfig> {
    let mut t = d.table(node, path)?;
    let config = UiConfig {
        templates_dir: t.read(d, "templates_dir", Decoder::name),
    };
    t.finish(d);
    Some(config)
}
