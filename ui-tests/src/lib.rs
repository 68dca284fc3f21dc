//! Compile-time checks of `#[frontmcp(...)]`; the cases live in `fail/` and `pass/`.
