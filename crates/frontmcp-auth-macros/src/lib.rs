//! `#[frontmcp(...)]`: the frontmcp-auth configuration on a server struct, checked at compile
//! time by the same rulebook the runtime runs at start-up.
//!
//! Use it through `frontmcp_auth::prelude::*`; see the `frontmcp-auth` crate for the guide.

mod check;
mod expand;
mod parse;

use proc_macro::TokenStream;

/// Declares a server's configuration, the Rust twin of the SDK's `@FrontMcp({...})`:
///
/// ```ignore
/// #[frontmcp(
///     info(name = "ProductionServer", version = "1.0.0"),
///     apps(BillingApp, AnalyticsApp),
///     auth(mode = "local", consent(enabled = true), token_storage(sqlite(path = "auth.db"))),
/// )]
/// struct Server;
/// ```
///
/// Every mistake is a compile error at the key it is about, all reported in one compile. The
/// struct gets an implementation of `frontmcp_auth::FrontMcpServer` (`definition`,
/// `load_config`, `router`, `serve`).
#[proc_macro_attribute]
pub fn frontmcp(args: TokenStream, item: TokenStream) -> TokenStream {
    run(args.into(), item.into()).into()
}

fn run(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let item: syn::ItemStruct = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error =
                syn::Error::new_spanned(&item, "#[frontmcp] goes on a struct: `struct Server;`")
                    .to_compile_error();
            return quote::quote!(#item #error);
        }
    };
    if !item.generics.params.is_empty() {
        let error = syn::Error::new_spanned(
            &item.generics,
            "#[frontmcp] goes on a struct without generic parameters",
        );
        return error.to_compile_error();
    }
    let mut parsed = match parse::parse(args) {
        Ok(parsed) => parsed,
        Err(error) => {
            // Still implement the trait (on an empty configuration), so the syntax error is
            // the only error the user sees.
            let fallback = expand::expand(&item, &parse::Parsed::empty(), false);
            let error = error.to_compile_error();
            return quote::quote!(#fallback #error);
        }
    };
    check::add_info_defaults(&mut parsed, &item.ident.to_string());
    match check::validate(&parsed) {
        Some(errors) => {
            let expanded = expand::expand(&item, &parsed, false);
            let errors = errors.to_compile_error();
            quote::quote!(#expanded #errors)
        }
        None => expand::expand(&item, &parsed, true),
    }
}

#[cfg(test)]
mod tests;
