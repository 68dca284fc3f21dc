//! The guides, as they are in the repository's `docs/` folder: how each mode, the login, the
//! stores and the production profile work, and every configuration key.
//!
//! | chapter | what it covers |
//! |---|---|
//! | [`configuration`] | every key, its default, the layering, the rulebook |
//! | [`local_mode`] | the built-in authorization server: endpoints, tokens, sessions |
//! | [`login`] | the password directory, a login of your own, passkeys, backoff |
//! | [`apps`] | what an app may serve and how each primitive is gated |
//! | [`consent`] | the consent screen and per-tool scopes |
//! | [`remote_mode`] | a real identity provider in front |
//! | [`federation`] | federated providers and their tokens for tools |
//! | [`machine_clients`] | `client_credentials` and `private_key_jwt` |
//! | [`enterprise`] | enterprise sign-in with ID-JAG |
//! | [`clients`] | what each MCP client does differently |
//! | [`storage`] | memory, SQLite and Redis, and their features |
//! | [`production`] | the production profile and its checklist |
//! | [`reliability`] | every record's lifetime and bound, faults, the fuzzer and the soak |
//! | [`scaling`] | several instances, MCP sessions any instance serves, Redis Cluster, capacity |
//! | [`metrics`] | the Prometheus metrics |
//! | [`benchmarks`] | measured figures and how to reproduce them |
//! | [`publishing`] | the crates, their features, what CI checks, releases |

// The reference marks each key with who serves it (`[mcp]`, `[as]`, `[store]`, ...): text, not
// links.
#[allow(rustdoc::broken_intra_doc_links)]
#[doc = include_str!("../docs/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../docs/local-mode.md")]
pub mod local_mode {}

#[doc = include_str!("../docs/login.md")]
pub mod login {}

#[doc = include_str!("../docs/apps.md")]
pub mod apps {}

#[doc = include_str!("../docs/consent.md")]
pub mod consent {}

#[doc = include_str!("../docs/remote-mode.md")]
pub mod remote_mode {}

#[doc = include_str!("../docs/federation.md")]
pub mod federation {}

#[doc = include_str!("../docs/machine-clients.md")]
pub mod machine_clients {}

#[doc = include_str!("../docs/enterprise.md")]
pub mod enterprise {}

#[doc = include_str!("../docs/clients.md")]
pub mod clients {}

#[doc = include_str!("../docs/storage.md")]
pub mod storage {}

#[doc = include_str!("../docs/production.md")]
pub mod production {}

#[doc = include_str!("../docs/reliability.md")]
pub mod reliability {}

#[doc = include_str!("../docs/scaling.md")]
pub mod scaling {}

#[doc = include_str!("../docs/metrics.md")]
pub mod metrics {}

#[doc = include_str!("../docs/BENCHMARKS.md")]
pub mod benchmarks {}

#[doc = include_str!("../docs/publishing.md")]
pub mod publishing {}
