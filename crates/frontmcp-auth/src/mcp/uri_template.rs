//! Matching a URI against an RFC 6570 URI template, to route `resources/read` to the app whose
//! template covers the URI.
//!
//! Expressions: `{var}` (and `{.var}`, `{;var}` after their prefix) match one or more characters
//! that are not `/`, `?` or `#`; `{+var}` and `{#var}` match anything; `{/var}` matches `/` and a
//! segment; `{?a,b}` and `{&a,b}` match the rest of a query, or nothing.

/// One piece of a template.
enum Piece<'a> {
    Literal(&'a str),
    /// An expression with its operator (`'\0'` for a simple one).
    Expression(char),
}

fn pieces(template: &str) -> Option<Vec<Piece<'_>>> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let end = rest.find('}')?;
                let body = &rest[1..end];
                let operator = match body.chars().next()? {
                    c @ ('+' | '#' | '.' | '/' | ';' | '?' | '&') => c,
                    _ => '\0',
                };
                out.push(Piece::Expression(operator));
                rest = &rest[end + 1..];
            }
            Some(start) => {
                out.push(Piece::Literal(&rest[..start]));
                rest = &rest[start..];
            }
            None => {
                if rest.contains('}') {
                    return None;
                }
                out.push(Piece::Literal(rest));
                rest = "";
            }
        }
    }
    Some(out)
}

/// Whether `uri` is one of the URIs `template` expands to. A malformed template matches
/// nothing.
pub(crate) fn matches(template: &str, uri: &str) -> bool {
    // Bounded: templates and URIs longer than this are not matched.
    if template.len() > 2048 || uri.len() > 8192 {
        return false;
    }
    let mut budget = STEPS;
    pieces(template).is_some_and(|pieces| match_from(&pieces, uri, &mut budget))
}

/// The most matching steps one URI may cost (adjacent expressions backtrack).
const STEPS: usize = 50_000;

/// Whether `template` has at least one expression.
pub(crate) fn is_template(template: &str) -> bool {
    pieces(template).is_some_and(|p| p.iter().any(|p| matches!(p, Piece::Expression(_))))
}

fn match_from(pieces: &[Piece<'_>], uri: &str, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((first, rest)) = pieces.split_first() else {
        return uri.is_empty();
    };
    match first {
        Piece::Literal(text) => uri
            .strip_prefix(text)
            .is_some_and(|after| match_from(rest, after, budget)),
        Piece::Expression(operator) => {
            let (prefix, stops): (&str, &[char]) = match operator {
                '+' | '#' => ("", &[]),
                '/' => ("/", &['/', '?', '#']),
                '.' => (".", &['/', '?', '#']),
                ';' => (";", &['/', '?', '#']),
                '?' | '&' => {
                    // The rest of the query, or nothing at all.
                    let query = if *operator == '?' { '?' } else { '&' };
                    if match_from(rest, uri, budget) {
                        return true;
                    }
                    let Some(after) = uri.strip_prefix(query) else {
                        return false;
                    };
                    let end = after.find('#').unwrap_or(after.len());
                    return (1..=end)
                        .rev()
                        .filter(|n| after.is_char_boundary(*n))
                        .any(|n| match_from(rest, &after[n..], budget));
                }
                _ => ("", &['/', '?', '#']),
            };
            let Some(value) = uri.strip_prefix(prefix) else {
                return false;
            };
            let longest = value
                .char_indices()
                .find(|(_, c)| stops.contains(c))
                .map_or(value.len(), |(i, _)| i);
            // Longest first; at least one character.
            (1..=longest)
                .rev()
                .filter(|n| value.is_char_boundary(*n))
                .any(|n| match_from(rest, &value[n..], budget))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_expression_matches_one_segment() {
        assert!(matches(
            "test://template/{id}/data",
            "test://template/123/data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template//data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template/1/2/data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template/123/data/x"
        ));
        assert!(matches("file:///{+path}", "file:///a/b/c.txt"));
        assert!(matches("users{/id}", "users/42"));
        assert!(matches("search{?q,lang}", "search"));
        assert!(matches("search{?q,lang}", "search?q=a&lang=en"));
        assert!(!matches("search{?q}", "searchx"));
    }

    #[test]
    fn literals_and_malformed_templates() {
        assert!(matches("test://static-text", "test://static-text"));
        assert!(!is_template("test://static-text"));
        assert!(is_template("test://{x}"));
        assert!(!matches("test://{x", "test://{x"));
        assert!(!matches("test://x}", "test://x}"));
    }

    #[test]
    fn backtracking_is_bounded() {
        let uri = format!("x:{}!", "a".repeat(8000));
        assert!(!matches("x:{a}{b}{c}{d}{e}{f}?", &uri));
    }
}
