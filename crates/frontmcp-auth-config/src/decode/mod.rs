//! From an untyped [`Node`](crate::Node) tree to the typed model, collecting every mistake.

mod auth;
mod blocks;
mod login;
mod parties;
mod reader;
mod security;
mod server;
mod storage;

pub use reader::{Decoder, Field, KeyIndex, TableReader, quote_list};
pub use server::decode_server;

/// Stores `value` into `slot` when decoding produced one (otherwise the default stays).
pub(crate) fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}
