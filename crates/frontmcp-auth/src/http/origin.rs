//! `Host` and `Origin` checks against DNS rebinding, for every route.
//!
//! The allowed hosts and origins come from configuration: `http.allowed_hosts` /
//! `http.allowed_origins`, else the public URL's host and origin, else loopback only.

use axum::extract::Request;
use axum::response::Response;

use std::net::SocketAddr;

use axum::extract::ConnectInfo;

use super::client::TrustedProxies;
use crate::guard::Rejection;
use frontmcp_auth_config::HttpConfig;

/// Which `Host` and `Origin` values the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPolicy {
    hosts: Vec<String>,
    origins: Vec<String>,
    /// Origins allowed instead on the CORS endpoints (`security.cors.allowed_origins`).
    cors_origins: Option<Vec<String>>,
    /// The proxies whose `X-Forwarded-Host` is believed: it must be an allowed host too.
    proxies: TrustedProxies,
}

const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];
const LOOPBACK_ORIGINS: &[&str] = &["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// The policy of an `http` configuration.
pub fn host_policy(http: &HttpConfig) -> HostPolicy {
    let public = http
        .public_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok());
    let hosts = if !http.allowed_hosts.is_empty() {
        http.allowed_hosts.clone()
    } else if let Some(url) = &public {
        let host = url.host_str().unwrap_or_default().to_owned();
        match url.port() {
            Some(port) => vec![format!("{host}:{port}")],
            None => vec![host],
        }
    } else {
        LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect()
    };
    let origins = if !http.allowed_origins.is_empty() {
        http.allowed_origins.clone()
    } else if let Some(url) = &public {
        vec![url.origin().ascii_serialization()]
    } else {
        LOOPBACK_ORIGINS.iter().map(|o| (*o).to_owned()).collect()
    };
    HostPolicy {
        hosts,
        origins,
        cors_origins: None,
        proxies: TrustedProxies::new(&http.trusted_proxies),
    }
}

impl HostPolicy {
    /// Allows `origins` instead of the general list on the CORS endpoints
    /// ([`super::cors::is_cors_path`]); nothing changes when `origins` is empty.
    #[must_use]
    pub fn with_cors_origins(mut self, origins: &[String]) -> Self {
        if !origins.is_empty() {
            self.cors_origins = Some(origins.to_vec());
        }
        self
    }

    /// Whether `origin` may call `path`.
    pub fn allows_origin_at(&self, origin: &str, path: &str) -> bool {
        match &self.cors_origins {
            Some(origins) if super::cors::is_cors_path(path) => HostPolicy {
                hosts: Vec::new(),
                origins: origins.clone(),
                cors_origins: None,
                proxies: TrustedProxies::default(),
            }
            .allows_origin(origin),
            _ => self.allows_origin(origin),
        }
    }

    /// Whether a `Host` header value is allowed. An entry without a port allows any port.
    pub fn allows_host(&self, host: &str) -> bool {
        let (name, port) = split_host_port(host.trim());
        self.hosts.iter().any(|entry| {
            let (entry_name, entry_port) = split_host_port(entry);
            entry_name.eq_ignore_ascii_case(name) && (entry_port.is_none() || entry_port == port)
        })
    }

    /// Whether an `Origin` header value is allowed (`scheme://host[:port]`; `:*` any port).
    pub fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.trim().to_ascii_lowercase();
        if origin == "null" {
            return self.origins.iter().any(|o| o == "null");
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        let (name, port) = split_host_port(authority);
        let port = port.or(match scheme {
            "https" => Some("443"),
            "http" => Some("80"),
            _ => None,
        });
        self.origins.iter().any(|entry| {
            let entry = entry.to_ascii_lowercase();
            let Some((entry_scheme, entry_authority)) = entry.split_once("://") else {
                return false;
            };
            let (entry_name, entry_port) = split_host_port(entry_authority.trim_end_matches('/'));
            let entry_port = entry_port.or(match entry_scheme {
                "https" => Some("443"),
                "http" => Some("80"),
                _ => None,
            });
            entry_scheme == scheme
                && entry_name == name
                && (entry_port == Some("*") || entry_port == port)
        })
    }

    /// Host names for rmcp's own check, which runs behind this one.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Origins for rmcp's own check.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The middleware: 403 for a request whose `Host` or `Origin` is not allowed.
    pub async fn around<F, Fut>(&self, request: Request, next: F) -> Response
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Response>,
    {
        let policy = self;
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(std::borrow::Cow::Borrowed)
            .or_else(|| request.uri().authority().map(|a| a.to_string().into()));
        match host {
            Some(host) if policy.allows_host(&host) => {}
            _ => {
                return Rejection::ForbiddenOrigin {
                    description: String::from("this server does not answer for that Host"),
                }
                .into_response_with("");
            }
        }
        // Behind a trusted proxy `X-Forwarded-Host` becomes the issuer and the URLs of the
        // discovery documents: it must be an allowed host as well.
        let from_proxy = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|c| policy.proxies.contains(c.0.ip()));
        if from_proxy {
            let forwarded = request
                .headers()
                .get_all("x-forwarded-host")
                .iter()
                .map(|v| {
                    v.to_str()
                        .map(|v| v.split(',').next().unwrap_or_default().trim())
                })
                .next();
            if let Some(value) = forwarded
                && !value.is_ok_and(|host| policy.allows_host(host))
            {
                return Rejection::ForbiddenOrigin {
                    description: String::from(
                        "this server does not answer for that X-Forwarded-Host",
                    ),
                }
                .into_response_with("");
            }
        }
        if let Some(origin) = request.headers().get(http::header::ORIGIN) {
            let path = request.uri().path();
            let allowed = origin
                .to_str()
                .is_ok_and(|o| policy.allows_origin_at(o, path));
            if !allowed {
                return Rejection::ForbiddenOrigin {
                    description: String::from("requests from that Origin are not allowed"),
                }
                .into_response_with("");
            }
        }
        next(request).await
    }
}

/// Splits `host[:port]`, keeping IPv6 brackets.
fn split_host_port(value: &str) -> (&str, Option<&str>) {
    if value.starts_with('[') {
        return match value.find(']') {
            Some(end) => {
                let (name, rest) = value.split_at(end + 1);
                (name, rest.strip_prefix(':'))
            }
            None => (value, None),
        };
    }
    match value.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (value, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_by_default() {
        let policy = host_policy(&HttpConfig::default());
        assert!(policy.allows_host("127.0.0.1:3000"));
        assert!(policy.allows_host("localhost"));
        assert!(policy.allows_host("[::1]:8080"));
        assert!(!policy.allows_host("evil.example:3000"));
        assert!(policy.allows_origin("http://localhost:5173"));
        assert!(!policy.allows_origin("https://evil.example"));
        assert!(!policy.allows_origin("null"));
    }

    #[test]
    fn a_public_url_replaces_the_loopback_default() {
        let http = HttpConfig {
            public_url: Some("https://mcp.example.com".into()),
            ..HttpConfig::default()
        };
        let policy = host_policy(&http);
        assert!(policy.allows_host("mcp.example.com"));
        assert!(
            !policy.allows_host("127.0.0.1:3000"),
            "loopback must not leak into a public deployment"
        );
        assert!(policy.allows_origin("https://mcp.example.com"));
        assert!(policy.allows_origin("https://mcp.example.com:443"));
        assert!(!policy.allows_origin("http://mcp.example.com"));
    }
}
