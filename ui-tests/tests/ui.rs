//! Every `fail/*.rs` must fail to compile with exactly its `.stderr`; every `pass/*.rs` must
//! compile and run.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("fail/*.rs");
    cases.pass("pass/*.rs");
}
