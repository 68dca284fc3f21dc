//! `security(...)`: the deployment profile and the production hardening settings.

use serde::Serialize;

use crate::Secret;

/// `security.profile`: how strictly the configuration is judged (also `FRONTMCP_ENV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Convenient defaults for a developer machine. The default.
    #[default]
    Development,
    /// Every item of the pre-deployment checklist is enforced: start-up refuses an insecure
    /// setting, rate limits are on and registration is off unless configured.
    Production,
}

impl Profile {
    /// The accepted spellings, lower case.
    pub const NAMES: &'static [(&'static str, Profile)] = &[
        ("development", Profile::Development),
        ("dev", Profile::Development),
        ("production", Profile::Production),
        ("prod", Profile::Production),
    ];

    /// The profile's name as written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Production => "production",
        }
    }
}

/// One rate limit: at most `limit` requests per client IP per `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// Requests allowed per window; `0` turns the limit off.
    pub limit: u64,
    /// The window, in seconds.
    pub window: u64,
}

impl RateLimit {
    /// `limit` requests per `window` seconds.
    pub const fn new(limit: u64, window: u64) -> Self {
        Self { limit, window }
    }
}

/// `security.rate_limits(...)`: per-endpoint limits per client IP. The client IP is the peer
/// address, or the right-most untrusted `X-Forwarded-For` entry when the peer is one of
/// `http.trusted_proxies`. Counted in the token storage when it is Redis (shared by every
/// instance), else in the process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateLimitsConfig {
    /// Apply the limits. Default: on under the production profile, off otherwise.
    pub enabled: Option<bool>,
    /// `POST /oauth/token`. Default: 60 per 60 s.
    pub token: RateLimit,
    /// `GET /oauth/authorize`. Default: 30 per 60 s.
    pub authorize: RateLimit,
    /// `POST /oauth/register`. Default: 10 per 3600 s.
    pub register: RateLimit,
    /// The login form (`/oauth/callback`) and the consent form. Default: 20 per 60 s.
    pub login: RateLimit,
    /// `POST /oauth/revoke` and `POST /oauth/introspect`. Default: 120 per 60 s.
    pub revoke: RateLimit,
    /// `POST /admin/sessions/revoke`. Default: 10 per 60 s.
    pub admin: RateLimit,
    /// The MCP endpoint, per client IP and per subject, in every mode. Default: 600 per 60 s.
    pub mcp: RateLimit,
    /// `/oauth/userinfo`. Default: 120 per 60 s.
    pub userinfo: RateLimit,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        Self {
            enabled: None,
            token: RateLimit::new(60, 60),
            authorize: RateLimit::new(30, 60),
            register: RateLimit::new(10, 3600),
            login: RateLimit::new(20, 60),
            revoke: RateLimit::new(120, 60),
            admin: RateLimit::new(10, 60),
            mcp: RateLimit::new(600, 60),
            userinfo: RateLimit::new(120, 60),
        }
    }
}

impl RateLimitsConfig {
    /// The endpoints that take a limit, by configuration key.
    pub const ENDPOINTS: &'static [&'static str] = &[
        "token",
        "authorize",
        "register",
        "login",
        "revoke",
        "admin",
        "mcp",
        "userinfo",
    ];

    /// The limit of an endpoint named in [`RateLimitsConfig::ENDPOINTS`].
    pub fn get(&self, endpoint: &str) -> Option<RateLimit> {
        match endpoint {
            "token" => Some(self.token),
            "authorize" => Some(self.authorize),
            "register" => Some(self.register),
            "login" => Some(self.login),
            "revoke" => Some(self.revoke),
            "admin" => Some(self.admin),
            "mcp" => Some(self.mcp),
            "userinfo" => Some(self.userinfo),
            _ => None,
        }
    }

    /// The slot of an endpoint named in [`RateLimitsConfig::ENDPOINTS`].
    pub fn get_mut(&mut self, endpoint: &str) -> Option<&mut RateLimit> {
        match endpoint {
            "token" => Some(&mut self.token),
            "authorize" => Some(&mut self.authorize),
            "register" => Some(&mut self.register),
            "login" => Some(&mut self.login),
            "revoke" => Some(&mut self.revoke),
            "admin" => Some(&mut self.admin),
            "mcp" => Some(&mut self.mcp),
            "userinfo" => Some(&mut self.userinfo),
            _ => None,
        }
    }
}

/// `security.cors(...)`: cross-origin access for browser-based MCP clients to the discovery
/// documents, JWKS, and the token, registration and revocation endpoints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorsConfig {
    /// Answer preflights and add `Access-Control-Allow-Origin`. Default: `true`.
    pub enabled: bool,
    /// Origins (`https://app.example.com`, `http://localhost:*`) allowed on those endpoints.
    /// Default: the origins `http.allowed_origins` allows.
    pub allowed_origins: Vec<String>,
    /// Seconds a browser may cache a preflight answer. Default: `600`.
    pub max_age: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allowed_origins: Vec::new(),
            max_age: 600,
        }
    }
}

/// `security(...)`: the profile and the hardening that applies to the whole server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityConfig {
    /// `development` or `production` (also `FRONTMCP_ENV`). Default: `development`.
    pub profile: Profile,
    /// Acknowledges that the server runs as a single instance, which allows `memory` token
    /// storage under the production profile. Default: `false`.
    pub single_instance: bool,
    /// Per-endpoint rate limits.
    pub rate_limits: RateLimitsConfig,
    /// Cross-origin access to the public endpoints.
    pub cors: CorsConfig,
    /// The largest request body accepted, in bytes (413 beyond). Default: `1048576`.
    pub max_body_bytes: u64,
    /// Seconds a request may take until its response starts (503 beyond; streams that have
    /// started are not cut). Default: `30`.
    pub request_timeout: u64,
    /// Email domains allowed to log in: exact (`company.com`), or `*.company.com` for its
    /// subdomains. Default: none, which allows every domain.
    pub allowed_email_domains: Vec<String>,
    /// Live sessions (refresh-token families) a user may hold; a new login beyond it revokes
    /// the oldest. `0` means no limit (one user may then fill the store). Default: `100`.
    pub max_concurrent_sessions: u64,
    /// Whether an authorization request must carry a `state` of 8 to 512 characters.
    /// Default: on under the production profile, off otherwise (a `state` that is present is
    /// always held to 512 characters without control characters).
    pub require_state: Option<bool>,
    /// The bearer credential of `POST /admin/sessions/revoke` (also `FRONTMCP_ADMIN_TOKEN`),
    /// at least 32 bytes. Default: absent, which leaves the endpoint unmounted.
    pub admin_token: Option<Secret>,
    /// A bearer credential `/metrics` requires (also `FRONTMCP_METRICS_TOKEN`).
    /// Default: absent, which serves it to anyone outside the production profile and only to
    /// loopback clients under it.
    pub metrics_token: Option<Secret>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            profile: Profile::Development,
            single_instance: false,
            rate_limits: RateLimitsConfig::default(),
            cors: CorsConfig::default(),
            max_body_bytes: 1024 * 1024,
            request_timeout: 30,
            allowed_email_domains: Vec::new(),
            max_concurrent_sessions: 100,
            require_state: None,
            admin_token: None,
            metrics_token: None,
        }
    }
}

impl SecurityConfig {
    /// Whether the production profile is on.
    pub fn is_production(&self) -> bool {
        self.profile == Profile::Production
    }

    /// Whether rate limits apply: as configured, else under the production profile.
    pub fn rate_limits_on(&self) -> bool {
        self.rate_limits
            .enabled
            .unwrap_or(self.profile == Profile::Production)
    }

    /// Whether authorization requests must carry a `state`: as configured, else under the
    /// production profile.
    pub fn state_required(&self) -> bool {
        self.require_state
            .unwrap_or(self.profile == Profile::Production)
    }

    /// Whether a login email's domain is allowed.
    pub fn email_domain_allowed(&self, email: &str) -> bool {
        if self.allowed_email_domains.is_empty() {
            return true;
        }
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        let domain = domain.trim().to_ascii_lowercase();
        self.allowed_email_domains.iter().any(|allowed| {
            let allowed = allowed.trim().to_ascii_lowercase();
            match allowed.strip_prefix("*.") {
                Some(parent) => domain.ends_with(&format!(".{parent}")),
                None => domain == allowed,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_domains_match_exactly_or_by_subdomain_glob() {
        let security = SecurityConfig {
            allowed_email_domains: vec!["company.com".into(), "*.corp.example".into()],
            ..SecurityConfig::default()
        };
        assert!(security.email_domain_allowed("ada@company.com"));
        assert!(security.email_domain_allowed("ada@COMPANY.com"));
        assert!(!security.email_domain_allowed("ada@evilcompany.com"));
        assert!(!security.email_domain_allowed("ada@company.com.evil"));
        assert!(!security.email_domain_allowed("ada@sub.company.com"));
        assert!(security.email_domain_allowed("ada@eu.corp.example"));
        assert!(!security.email_domain_allowed("ada@corp.example"));
        assert!(!security.email_domain_allowed("no-at-sign"));
        assert!(SecurityConfig::default().email_domain_allowed("anyone@anywhere.example"));
    }
}
