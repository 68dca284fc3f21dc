//! The command line: `config check`, `config print`, `check --production`, `keygen`,
//! `users add | remove | list`, and `serve` for server binaries.
//!
//! The `frontmcp-auth` command runs it on a standalone definition (file and environment only);
//! a server binary runs it on its own definition with [`run`], so `my-server config check`
//! sees the attribute too.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod users;

use crate::config::{
    ChecklistReport, ChecklistStatus, Environment, FileChoice, PROFILE_VAR, checklist,
    render_effective,
};
use crate::definition::ServerDefinition;
use crate::token::{KeyKind, SigningKey};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(version, about = "frontmcp-auth: OAuth 2.1 for MCP servers")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load the configuration and serve (the default).
    Serve,
    /// Inspect the layered configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check the configuration against the pre-deployment checklist.
    Check {
        /// Judge it under the production profile (as with FRONTMCP_ENV=production) and print
        /// pass / fail per checklist item.
        #[arg(long)]
        production: bool,
        /// Configuration file to read instead of FRONTMCP_CONFIG / ./frontmcp.toml.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Manage the users of the built-in password directory (`auth.login`).
    Users {
        /// Configuration file to read instead of FRONTMCP_CONFIG / ./frontmcp.toml.
        #[arg(long, global = true)]
        file: Option<PathBuf>,
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// Print a new private signing key as a JWK (for `JWT_SIGNING_KEY` / `local.sign_key`).
    Keygen {
        /// ES256 (EC P-256) or RS256 (RSA 2048).
        #[arg(long, default_value = "ES256", value_parser = ["ES256", "RS256"])]
        alg: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check the configuration; exit non-zero listing every violation.
    Check {
        /// Configuration file to read instead of FRONTMCP_CONFIG / ./frontmcp.toml.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Print the effective configuration with the source of each value (secrets redacted).
    Print {
        /// Configuration file to read instead of FRONTMCP_CONFIG / ./frontmcp.toml.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

/// Parses the process arguments and runs the command for `definition`.
pub async fn run(definition: ServerDefinition) -> ExitCode {
    run_with(definition, Cli::parse()).await
}

/// Runs already-parsed arguments for `definition`.
pub async fn run_with(definition: ServerDefinition, cli: Cli) -> ExitCode {
    // Unlocked handles: a lock held across `serve` would block every other thread's logging.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            if definition.apps().is_none() {
                let _ = writeln!(
                    err,
                    "`serve` runs from your server's own binary; this command checks and prints configuration"
                );
                return ExitCode::from(2);
            }
            let loaded = match definition.loader().load() {
                Ok(loaded) => loaded,
                Err(e) => {
                    let _ = writeln!(err, "{e}");
                    return ExitCode::FAILURE;
                }
            };
            match crate::server::serve(loaded, definition).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(err, "{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Users { file, command } => match users::run(&definition, file, command).await {
            Ok(message) => {
                let _ = writeln!(out, "{message}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                let _ = writeln!(err, "{message}");
                ExitCode::FAILURE
            }
        },
        Command::Keygen { alg } => {
            let kind = if alg == "RS256" {
                KeyKind::Rs256
            } else {
                KeyKind::Es256
            };
            match SigningKey::generate(kind) {
                Ok((_, private)) => {
                    let _ = writeln!(out, "{}", serde_json::Value::Object(private));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = writeln!(err, "{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { production, file } => {
            let mut env = Environment::from_process();
            if production {
                env.set(PROFILE_VAR, "production");
            }
            let result = definition
                .loader()
                .env(env)
                .file(file.map_or(FileChoice::Default, FileChoice::Path))
                .load();
            let items = checklist(&result);
            let _ = write!(out, "{}", ChecklistReport(&items));
            if items.iter().any(|i| i.status == ChecklistStatus::Fail) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Config(ConfigCommand::Check { file }) => {
            let loader = definition
                .loader()
                .file(file.map_or(FileChoice::Default, FileChoice::Path));
            match loader.load() {
                Ok(loaded) => {
                    for note in &loaded.notes {
                        let _ = writeln!(out, "note: {note}");
                    }
                    let _ = writeln!(out, "configuration of `{}` is valid", definition.name());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = writeln!(err, "{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Config(ConfigCommand::Print { file }) => {
            let loader = definition
                .loader()
                .file(file.map_or(FileChoice::Default, FileChoice::Path));
            match loader.load() {
                Ok(loaded) => {
                    let _ = write!(out, "{}", render_effective(&loaded));
                    for note in &loaded.notes {
                        let _ = writeln!(out, "# note: {note}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = writeln!(err, "{e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
