//! Generates the server's `FrontMcpServer` impl. Never reports user errors: those come from
//! [`crate::check`] before this runs.

use proc_macro2::TokenStream;
use quote::quote;

use crate::parse::Parsed;

/// The struct, unchanged, and its `FrontMcpServer` impl. With `serve_apps`, the apps' tools are
/// served (`T: App` required); otherwise (after a configuration error) the apps are only
/// declared, so the configuration errors are the only ones reported.
pub fn expand(item: &syn::ItemStruct, parsed: &Parsed, serve_apps: bool) -> TokenStream {
    let ident = &item.ident;
    let name = ident.to_string();
    let base = json_tokens(&parsed.root.to_json());
    let apps = parsed.apps.iter().map(|app| {
        let id = &app.id;
        let path = &app.path;
        if serve_apps {
            quote! { .app::<#path>(#id) }
        } else {
            quote! { .declare_app(#id, ::core::any::type_name::<#path>()) }
        }
    });
    let authenticator = parsed
        .authenticator
        .as_ref()
        .filter(|_| serve_apps)
        .map(|path| quote! { .authenticator(<#path as ::core::default::Default>::default()) });
    quote! {
        #item

        impl ::frontmcp_auth::FrontMcpServer for #ident {
            fn definition() -> ::frontmcp_auth::__private::ServerDefinition {
                ::frontmcp_auth::__private::ServerDefinition::new(#name)
                    .with_base(::frontmcp_auth::__private::serde_json::json!(#base))
                    #(#apps)*
                    #authenticator
            }
        }
    }
}

/// A JSON value as `serde_json::json!` input.
fn json_tokens(value: &serde_json::Value) -> TokenStream {
    match value {
        serde_json::Value::Null => quote!(null),
        serde_json::Value::Bool(b) => quote!(#b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => quote!(#i),
            (None, Some(f)) => quote!(#f),
            (None, None) => quote!(null),
        },
        serde_json::Value::String(s) => quote!(#s),
        serde_json::Value::Array(items) => {
            let items = items.iter().map(json_tokens);
            quote!([#(#items),*])
        }
        serde_json::Value::Object(map) => {
            let entries = map.iter().map(|(k, v)| {
                let v = json_tokens(v);
                quote!(#k: #v)
            });
            quote!({#(#entries),*})
        }
    }
}
