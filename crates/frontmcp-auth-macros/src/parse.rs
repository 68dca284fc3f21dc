//! Parses the attribute's tokens into the rulebook's [`Node`] tree, keeping every span.
//!
//! Grammar (one item per comma):
//! - `key = value`: a value is a string, number or boolean literal, a list `[v, ...]`,
//!   `env("NAME")` / `env("NAME", default = v)`, or a path such as `LogLevel::Info`;
//! - `key(items)`: a nested table;
//! - `key`: shorthand for `key = true` (`token_storage(memory)`);
//! - `apps(TypePath, TypePath(id = "...", auth(...)), ...)`: the server's apps;
//! - `authenticator = TypePath` (in `auth(login(...))`): an authenticator type set in code,
//!   recorded as `authenticator = "custom"` for the rulebook.

use frontmcp_auth_config::{Key, Loc, Node, NodeKind, canonical_key};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Ident, Token};

/// An app named in `apps(...)`.
pub struct AppDecl {
    /// The type holding the app's tools.
    pub path: syn::Path,
    /// The app's id.
    pub id: String,
}

/// The parsed attribute.
pub struct Parsed {
    /// The configuration tree (a table).
    pub root: Node,
    /// The span of every location in the tree, indexed by [`Loc`].
    pub spans: Vec<Span>,
    /// The declared apps, in order.
    pub apps: Vec<AppDecl>,
    /// The authenticator type of `login(authenticator = Type)`, if one is named.
    pub authenticator: Option<syn::Path>,
}

impl Parsed {
    /// An empty configuration, for the fallback expansion after a syntax error.
    pub fn empty() -> Self {
        Self {
            root: Node::new(NodeKind::Table(Vec::new()), Loc(0)),
            spans: vec![Span::call_site()],
            apps: Vec::new(),
            authenticator: None,
        }
    }

    /// The span a location stands for.
    pub fn span(&self, loc: Loc) -> Span {
        self.spans
            .get(loc.0 as usize)
            .copied()
            .unwrap_or_else(Span::call_site)
    }
}

#[derive(Default)]
struct Spans {
    spans: Vec<Span>,
    apps: Vec<AppDecl>,
    authenticator: Option<syn::Path>,
}

impl Spans {
    fn loc(&mut self, span: Span) -> Loc {
        self.spans.push(span);
        Loc(u32::try_from(self.spans.len() - 1).unwrap_or(u32::MAX))
    }
}

/// Parses the attribute's arguments.
///
/// # Errors
///
/// A syntax error, at the offending token.
pub fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<Parsed> {
    let mut spans = Spans::default();
    let root_loc = spans.loc(Span::call_site());
    let entries = (|input: ParseStream<'_>| parse_items(input, &mut spans)).parse2(tokens)?;
    Ok(Parsed {
        root: Node::new(NodeKind::Table(entries), root_loc),
        spans: spans.spans,
        apps: spans.apps,
        authenticator: spans.authenticator,
    })
}

fn parse_items(input: ParseStream<'_>, spans: &mut Spans) -> syn::Result<Vec<(Key, Node)>> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        entries.push(parse_item(input, spans)?);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(entries)
}

fn parse_item(input: ParseStream<'_>, spans: &mut Spans) -> syn::Result<(Key, Node)> {
    // A key is a name, or a string where a name cannot say it (a resource URI in
    // `resource_scopes("docs://secret" = [...])`).
    let (name, key_loc) = if input.peek(syn::LitStr) {
        let lit: syn::LitStr = input.parse()?;
        (lit.value(), spans.loc(lit.span()))
    } else {
        let ident = Ident::parse_any(input)?;
        (ident.unraw().to_string(), spans.loc(ident.span()))
    };
    let key = Key {
        name: name.clone(),
        loc: key_loc,
    };
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        if name == "authenticator" && input.peek(Ident) && !input.peek2(syn::token::Paren) {
            return parse_authenticator(input, key, spans);
        }
        let value = parse_value(input, spans)?;
        return Ok((key, value));
    }
    if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let entries = if name == "apps" {
            parse_apps(&content, spans)?
        } else {
            parse_items(&content, spans)?
        };
        return Ok((key, Node::new(NodeKind::Table(entries), key_loc)));
    }
    Ok((key, Node::new(NodeKind::Bool(true), key_loc)))
}

fn parse_value(input: ParseStream<'_>, spans: &mut Spans) -> syn::Result<Node> {
    if input.peek(syn::LitStr) {
        let lit: syn::LitStr = input.parse()?;
        return Ok(Node::new(NodeKind::Str(lit.value()), spans.loc(lit.span())));
    }
    if input.peek(syn::LitBool) {
        let lit: syn::LitBool = input.parse()?;
        return Ok(Node::new(NodeKind::Bool(lit.value), spans.loc(lit.span())));
    }
    if input.peek(syn::LitInt) {
        let lit: syn::LitInt = input.parse()?;
        let value = lit.base10_parse::<i64>()?;
        return Ok(Node::new(NodeKind::Int(value), spans.loc(lit.span())));
    }
    if input.peek(syn::LitFloat) {
        let lit: syn::LitFloat = input.parse()?;
        let value = lit.base10_parse::<f64>()?;
        return Ok(Node::new(NodeKind::Float(value), spans.loc(lit.span())));
    }
    if input.peek(Token![-]) {
        let minus: Token![-] = input.parse()?;
        let lit: syn::LitInt = input.parse()?;
        let value = lit.base10_parse::<i64>()?;
        return Ok(Node::new(NodeKind::Int(-value), spans.loc(minus.span)));
    }
    if input.peek(syn::token::Bracket) {
        let content;
        let bracket = syn::bracketed!(content in input);
        let loc = spans.loc(bracket.span.join());
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(parse_value(&content, spans)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        return Ok(Node::new(NodeKind::List(items), loc));
    }
    if input.peek(Ident) && input.peek2(syn::token::Paren) {
        let ident: Ident = input.fork().parse()?;
        if ident == "env" {
            input.parse::<Ident>()?;
            return parse_env(input, ident.span(), spans);
        }
    }
    let path: syn::Path = input.parse().map_err(|err| {
        syn::Error::new(
            err.span(),
            "expected a value: a string, number, boolean, [list], env(\"NAME\") or a path",
        )
    })?;
    let text = path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    Ok(Node::new(NodeKind::Str(text), spans.loc(path.span())))
}

/// `authenticator = MyDirectory`: the type is kept for the expansion (which requires it to
/// implement `Authenticator` and `Default`); the rulebook sees `"custom"`.
fn parse_authenticator(
    input: ParseStream<'_>,
    key: Key,
    spans: &mut Spans,
) -> syn::Result<(Key, Node)> {
    let path: syn::Path = input.parse()?;
    let loc = spans.loc(path.span());
    if spans.authenticator.is_some() {
        return Err(syn::Error::new(
            path.span(),
            "only one authenticator may be named [duplicate_key]",
        ));
    }
    spans.authenticator = Some(path);
    Ok((key, Node::new(NodeKind::Str("custom".to_owned()), loc)))
}

/// `env("NAME")` or `env("NAME", default = value)`.
fn parse_env(input: ParseStream<'_>, span: Span, spans: &mut Spans) -> syn::Result<Node> {
    let content;
    syn::parenthesized!(content in input);
    let var: syn::LitStr = content.parse()?;
    let name = var.value();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(syn::Error::new(
            var.span(),
            "an environment variable name is letters, digits and `_`",
        ));
    }
    let mut default = None;
    if content.peek(Token![,]) {
        content.parse::<Token![,]>()?;
        if !content.is_empty() {
            let key: Ident = content.parse()?;
            if key != "default" {
                return Err(syn::Error::new(key.span(), "expected `default = value`"));
            }
            content.parse::<Token![=]>()?;
            default = Some(Box::new(parse_value(&content, spans)?));
            if content.peek(Token![,]) {
                content.parse::<Token![,]>()?;
            }
        }
    }
    if !content.is_empty() {
        return Err(content.error("unexpected tokens in env(...)"));
    }
    Ok(Node::new(
        NodeKind::Env { var: name, default },
        spans.loc(span.join(var.span()).unwrap_or(span)),
    ))
}

/// `apps(BillingApp, AnalyticsApp(id = "analytics", auth(...)))`: a table keyed by app id.
fn parse_apps(input: ParseStream<'_>, spans: &mut Spans) -> syn::Result<Vec<(Key, Node)>> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        let path: syn::Path = input.parse()?;
        let last = path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let key_loc = spans.loc(path.span());
        let mut id = canonical_key(&last);
        let mut options = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            for (key, value) in parse_items(&content, spans)? {
                if key.name == "id" {
                    let NodeKind::Str(text) = &value.kind else {
                        return Err(syn::Error::new(
                            span_of(spans, value.loc),
                            "the app id must be a string",
                        ));
                    };
                    if text.is_empty()
                        || !text
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    {
                        return Err(syn::Error::new(
                            span_of(spans, value.loc),
                            "an app id is lower-case letters, digits and `_` (it becomes a URL path and an env var segment)",
                        ));
                    }
                    id.clone_from(text);
                } else {
                    options.push((key, value));
                }
            }
        }
        if spans.apps.iter().any(|app| app.id == id) {
            return Err(syn::Error::new(
                path.span(),
                format!(
                    "two apps have the id `{id}` [duplicate_app_id]\n  = help: give one of them another id: {last}(id = \"{id}_2\")"
                ),
            ));
        }
        spans.apps.push(AppDecl {
            path,
            id: id.clone(),
        });
        entries.push((
            Key {
                name: id,
                loc: key_loc,
            },
            Node::new(NodeKind::Table(options), key_loc),
        ));
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(entries)
}

fn span_of(spans: &Spans, loc: Loc) -> Span {
    spans
        .spans
        .get(loc.0 as usize)
        .copied()
        .unwrap_or_else(Span::call_site)
}
