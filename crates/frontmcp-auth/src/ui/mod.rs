//! The HTML pages: login, consent, passkey and errors, as templates an operator may replace
//! (`ui.templates_dir`). Every value is escaped; every page is sent with anti-framing headers,
//! a strict Content-Security-Policy and `no-store`.

mod forms;
mod pages;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use minijinja::context;

pub use pages::Pages;

use crate::oauth::ErrorPage;

/// The passkey page's script, served at `/oauth/passkey.js`.
pub const PASSKEY_SCRIPT: &str = include_str!("passkey.js");

/// Which scripts a page may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scripts {
    /// None (every page but the passkey page).
    None,
    /// Scripts from this server only (the passkey ceremony).
    SameOrigin,
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f5f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}\
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:2rem;width:100%;max-width:24rem}\
h1{font-size:1.25rem;margin:0 0 1rem}p{color:#444;line-height:1.4}label{display:block;margin:.75rem 0 .25rem;font-weight:600}\
input[type=email],input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #ccc;border-radius:6px;font-size:1rem}\
button{margin-top:1.25rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#2457d6;color:#fff;font-size:1rem;cursor:pointer}\
.error{color:#b00020;background:#fdecee;padding:.5rem;border-radius:6px}.muted{color:#777;font-size:.85rem}\
fieldset{border:1px solid #ddd;border-radius:8px;margin:.75rem 0;padding:.5rem .75rem}legend{font-weight:700}\
label.tool{font-weight:400;margin:.4rem 0}button.secondary{background:#e8e8ee;color:#222;margin-top:.5rem}.notice{background:#eef3ff;padding:.5rem;border-radius:6px}\
form.passkey{margin-top:1.5rem;border-top:1px solid #eee;padding-top:.5rem}";

/// An HTML response with the page headers. `form_targets` are the origins a form on the page
/// may be submitted or redirected to besides this server (the client's redirect URI).
pub(crate) fn html(
    status: StatusCode,
    html: String,
    form_targets: &[String],
    scripts: Scripts,
) -> Response {
    let mut form_action = String::from("'self'");
    for target in form_targets {
        form_action.push(' ');
        form_action.push_str(target);
    }
    let script_src = match scripts {
        Scripts::None => "",
        Scripts::SameOrigin => "; script-src 'self'",
    };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'{script_src}"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: with `no-referrer` browsers send `Origin: null` on the
    // page's own form posts, which the origin check must refuse; the client's site still gets
    // no `Referer` (the redirect to it is cross-origin).
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

impl Pages {
    /// The error page.
    pub(crate) fn error_page(&self, error: &ErrorPage) -> Response {
        let page = self.render(
            "error.html",
            context! {
                title => error.title.clone(), message => error.message.clone(),
                ok => error.status < 400,
            },
        );
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
        html(status, page, &[], Scripts::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn pages_cannot_be_framed() {
        let response = Pages::builtin().error_page(&ErrorPage::bad_request("Bad", "<b>no</b>"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let headers = response.headers();
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        let csp = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    }
}
