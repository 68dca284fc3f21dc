//! Request parameters from a query string, a form body or a JSON body: each name at most once,
//! each value bounded, empty values treated as absent (RFC 6749 §3.1).

use std::collections::BTreeMap;

use super::error::OAuthError;

/// The most parameters a request may carry.
pub const MAX_PARAMS: usize = 64;
/// The longest value accepted, in bytes (a redirect URI is held to 2048 separately).
pub const MAX_VALUE_BYTES: usize = 4096;

/// The parameters of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: BTreeMap<String, String>,
    repeated: Vec<String>,
}

impl Params {
    /// Parameters from `application/x-www-form-urlencoded` text (a body or a query string).
    ///
    /// # Errors
    ///
    /// `invalid_request` for too many parameters or an oversized value.
    pub fn from_urlencoded(text: &[u8]) -> Result<Self, OAuthError> {
        Self::collect(
            url::form_urlencoded::parse(text).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }

    /// Parameters from a JSON object whose values are strings (numbers and booleans are taken
    /// as their text; arrays of strings are joined with spaces, as `scope` lists are).
    ///
    /// # Errors
    ///
    /// `invalid_request` when the body is not such an object.
    pub fn from_json(body: &[u8]) -> Result<Self, OAuthError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| OAuthError::invalid_request("the body is not valid JSON"))?;
        let serde_json::Value::Object(object) = value else {
            return Err(OAuthError::invalid_request(
                "the body must be a JSON object",
            ));
        };
        let mut pairs = Vec::new();
        for (name, value) in object {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Null => continue,
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        OAuthError::invalid_request(format!("`{name}` must be a string"))
                    })?
                    .join(" "),
                serde_json::Value::Object(_) => {
                    return Err(OAuthError::invalid_request(format!(
                        "`{name}` must be a string"
                    )));
                }
            };
            pairs.push((name, text));
        }
        Self::collect(pairs.into_iter())
    }

    /// Parameters from a body, by its content type: JSON or form.
    ///
    /// # Errors
    ///
    /// As [`Params::from_json`] and [`Params::from_urlencoded`].
    pub fn from_body(content_type: Option<&str>, body: &[u8]) -> Result<Self, OAuthError> {
        let json = content_type.is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if json {
            Self::from_json(body)
        } else {
            Self::from_urlencoded(body)
        }
    }

    fn collect(pairs: impl Iterator<Item = (String, String)>) -> Result<Self, OAuthError> {
        let mut params = Params::default();
        for (count, (name, value)) in pairs.enumerate() {
            if count >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            if value.len() > MAX_VALUE_BYTES || name.len() > 128 {
                return Err(OAuthError::invalid_request(format!(
                    "the `{}` parameter is too long",
                    name.chars().take(64).collect::<String>()
                )));
            }
            if value.is_empty() {
                continue;
            }
            match params.values.entry(name) {
                std::collections::btree_map::Entry::Occupied(entry) => {
                    params.repeated.push(entry.key().clone());
                }
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert(value);
                }
            }
        }
        Ok(params)
    }

    /// The value of `name`, if given once and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The names given, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Whether `name` was given more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// Refuses any repeated parameter (RFC 6749 §3.1: parameters must not be included more
    /// than once).
    ///
    /// # Errors
    ///
    /// `invalid_request` naming the first repeated parameter.
    pub fn no_repeats(&self) -> Result<(), OAuthError> {
        match self.repeated.first() {
            Some(name) => Err(OAuthError::invalid_request(format!(
                "the `{name}` parameter is repeated"
            ))),
            None => Ok(()),
        }
    }

    /// The value of `name`, required.
    ///
    /// # Errors
    ///
    /// `invalid_request` when it is missing.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("`{name}` is required")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_and_oversized_values_are_refused() {
        let params = Params::from_urlencoded(b"a=1&b=&a=2").expect("parse");
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert!(params.is_repeated("a"));
        assert!(params.no_repeats().is_err());
        let long = format!("a={}", "x".repeat(MAX_VALUE_BYTES + 1));
        assert!(Params::from_urlencoded(long.as_bytes()).is_err());
        let many: String = (0..=MAX_PARAMS).map(|i| format!("p{i}=1&")).collect();
        assert!(Params::from_urlencoded(many.as_bytes()).is_err());
    }

    #[test]
    fn json_bodies_read_like_forms() {
        let params = Params::from_body(
            Some("application/json; charset=utf-8"),
            br#"{"grant_type":"refresh_token","scope":["a","b"],"n":3}"#,
        )
        .expect("parse");
        assert_eq!(params.get("grant_type"), Some("refresh_token"));
        assert_eq!(params.get("scope"), Some("a b"));
        assert_eq!(params.get("n"), Some("3"));
        assert!(Params::from_json(b"[1]").is_err());
        assert!(Params::from_json(br#"{"a":{"b":1}}"#).is_err());
    }
}
