//! `security(...)`: profile, rate limits, CORS, request limits, identity rules, credentials.

use super::reader::Decoder;
use super::set;
use crate::model::{CorsConfig, Profile, RateLimit, RateLimitsConfig, SecurityConfig};
use crate::node::Node;
use crate::path::KeyPath;

/// Decodes `security`.
pub(super) fn decode_security(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
) -> Option<SecurityConfig> {
    let mut t = d.table(node, path)?;
    let mut security = SecurityConfig::default();
    set(
        &mut security.profile,
        t.read(d, "profile", |d, node, path| {
            d.choice(node, path, Profile::NAMES)
        }),
    );
    set(
        &mut security.single_instance,
        t.read(d, "single_instance", Decoder::bool),
    );
    set(
        &mut security.rate_limits,
        t.read(d, "rate_limits", decode_rate_limits),
    );
    set(&mut security.cors, t.read(d, "cors", decode_cors));
    set(
        &mut security.max_body_bytes,
        t.read(d, "max_body_bytes", Decoder::u64),
    );
    set(
        &mut security.request_timeout,
        t.read(d, "request_timeout", Decoder::u64),
    );
    set(
        &mut security.allowed_email_domains,
        t.read(d, "allowed_email_domains", Decoder::strings),
    );
    set(
        &mut security.max_concurrent_sessions,
        t.read(d, "max_concurrent_sessions", Decoder::u64),
    );
    security.require_state = t.read(d, "require_state", Decoder::bool);
    security.admin_token = t.read(d, "admin_token", Decoder::secret);
    security.metrics_token = t.read(d, "metrics_token", Decoder::secret);
    t.finish(d);
    Some(security)
}

fn decode_rate_limits(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<RateLimitsConfig> {
    let mut t = d.table(node, path)?;
    let mut limits = RateLimitsConfig {
        enabled: t.read(d, "enabled", Decoder::bool),
        ..RateLimitsConfig::default()
    };
    for endpoint in RateLimitsConfig::ENDPOINTS {
        let Some(slot) = limits.get_mut(endpoint) else {
            continue;
        };
        let default = *slot;
        if let Some(limit) = t.read(d, endpoint, |d, node, path| {
            decode_rate_limit(d, node, path, default)
        }) {
            *slot = limit;
        }
    }
    t.finish(d);
    Some(limits)
}

fn decode_rate_limit(
    d: &mut Decoder,
    node: &Node,
    path: &KeyPath,
    default: RateLimit,
) -> Option<RateLimit> {
    let mut t = d.table(node, path)?;
    let mut limit = default;
    set(&mut limit.limit, t.read(d, "limit", Decoder::u64));
    set(&mut limit.window, t.read(d, "window", Decoder::u64));
    t.finish(d);
    Some(limit)
}

fn decode_cors(d: &mut Decoder, node: &Node, path: &KeyPath) -> Option<CorsConfig> {
    let mut t = d.table(node, path)?;
    let mut cors = CorsConfig::default();
    set(&mut cors.enabled, t.read(d, "enabled", Decoder::bool));
    set(
        &mut cors.allowed_origins,
        t.read(d, "allowed_origins", Decoder::strings),
    );
    set(&mut cors.max_age, t.read(d, "max_age", Decoder::u64));
    t.finish(d);
    Some(cors)
}
