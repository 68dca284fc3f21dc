//! Layered configuration at start-up: the attribute < a TOML/JSON file (`frontmcp.toml`, or
//! `FRONTMCP_CONFIG`) < `FRONTMCP_*` environment variables (`__` for nesting) < the seeds' own
//! variables (`JWT_SECRET`, `REDIS_HOST`, `IDP_PROVIDER_URL`, ...). The rulebook of
//! [`frontmcp_auth_config`] runs on the merged result, and every violation names where its
//! value came from.

mod checklist;
mod features;
mod layers;
mod load;
mod print;
mod report;
mod seed_env;
mod source;

pub use checklist::{
    Item as ChecklistItem, Report as ChecklistReport, Status as ChecklistStatus, checklist,
};
pub use features::COMPILED as COMPILED_FEATURES;
pub use layers::{
    CONFIG_FILE_VAR, ENV_PREFIX, PROFILE_VAR, PUBLIC_URL_VAR, SHORT_VARS, default_config_file,
};
pub use load::{ConfigLoader, FileChoice, LoadedConfig, SourceMap};
pub use print::render_effective;
pub use report::{ConfigError, Problem};
pub use seed_env::seed_var_names;
pub use source::{Environment, Source};
