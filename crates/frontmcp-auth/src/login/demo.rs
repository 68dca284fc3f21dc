//! The development login: an email and a name, believed as typed. It is what local mode
//! serves when no authenticator is configured, outside the production profile only, and its
//! page says so.

use futures::future::BoxFuture;

use super::authenticator::{
    AuthenticatedUser, Authenticator, FieldKind, LoginAttempt, LoginField, LoginRefusal,
};

/// The longest email address accepted (RFC 5321).
pub const MAX_EMAIL_BYTES: usize = 254;
/// The longest display name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The notice on the demo login page.
pub const DEMO_NOTICE: &str = "Development sign-in: this server believes any email typed here. Configure a password directory or an authenticator before real users sign in.";

/// The demo form (`require_email`, `anonymous_subject`).
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// The form requires an email.
    pub require_email: bool,
    /// The subject when the form is sent without an email.
    pub anonymous_subject: Option<String>,
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces or
/// control characters, at most 254 bytes.
pub fn email_well_formed(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= MAX_EMAIL_BYTES
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

impl Authenticator for DemoLogin {
    fn fields(&self) -> Vec<LoginField> {
        let email = if self.require_email {
            LoginField::new("email", "Email", FieldKind::Email)
        } else {
            LoginField::new("email", "Email (optional)", FieldKind::Email).optional()
        };
        vec![
            email.autocomplete("email"),
            LoginField::new("name", "Name (optional)", FieldKind::Text)
                .optional()
                .autocomplete("name"),
        ]
    }

    fn authenticate<'a>(
        &'a self,
        attempt: &'a LoginAttempt,
    ) -> BoxFuture<'a, Result<AuthenticatedUser, LoginRefusal>> {
        Box::pin(std::future::ready(self.identify(attempt)))
    }
}

impl DemoLogin {
    fn identify(&self, attempt: &LoginAttempt) -> Result<AuthenticatedUser, LoginRefusal> {
        let invalid = |message: &str| Err(LoginRefusal::Invalid(message.to_owned()));
        let name = attempt.field("name").unwrap_or_default();
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return invalid("the name is too long or contains control characters");
        }
        let name = (!name.is_empty()).then(|| name.to_owned());
        let Some(email) = attempt.field("email") else {
            if self.require_email {
                return invalid("an email address is required");
            }
            let subject = self
                .anonymous_subject
                .clone()
                .unwrap_or_else(|| String::from("anonymous"));
            return Ok(AuthenticatedUser {
                name,
                ..AuthenticatedUser::new(subject)
            });
        };
        if !email_well_formed(email) {
            return invalid("that is not a valid email address");
        }
        let email = email.to_lowercase();
        Ok(AuthenticatedUser {
            name,
            ..AuthenticatedUser::new(email.clone()).email(email)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(email_well_formed("ada@example.com"));
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@.com",
        ] {
            assert!(!email_well_formed(bad), "{bad}");
        }
    }
}
