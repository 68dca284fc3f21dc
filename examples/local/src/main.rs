//! Run with
//!
//! ```sh
//! cargo run -p example-local                    # serve on http://127.0.0.1:3000/mcp
//! cargo run -p example-local -- users add ada@example.com   # add a user (asks for a password)
//! cargo run -p example-local -- config check    # validate the layered configuration
//! cargo run -p example-local -- config print    # effective values and where each came from
//! ```
//!
//! A server with its own OAuth 2.1 authorization server (local mode): discovery, dynamic client
//! registration, a login page that checks passwords (argon2id, the built-in directory), PKCE,
//! rotating refresh tokens. Any MCP client that speaks the MCP
//! authorization spec connects to the printed URL unaided. Clients, refresh tokens and sessions
//! live in the SQLite file `frontmcp-auth.db` in the working directory and survive restarts;
//! so do the users of the password directory (`users add | remove | list`).
//! Set `JWT_SECRET` (32 bytes or more) or `JWT_SIGNING_KEY` (see `frontmcp-auth keygen`) so that
//! access tokens survive them too; without it, clients refresh silently after a restart.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use frontmcp_auth::prelude::*;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `add_note`.
#[derive(Debug, Deserialize, JsonSchema)]
struct NoteArgs {
    /// The note's text.
    text: String,
}

/// Notes kept per signed-in user, in memory.
#[derive(Debug, Clone, Default)]
struct NotesApp {
    notes: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

#[tool_router(server_handler)]
impl NotesApp {
    #[tool(description = "Who is signed in: subject, email and the OAuth client")]
    async fn whoami(&self, auth: AuthContext) -> String {
        let email = auth
            .claim("email")
            .and_then(|e| e.as_str())
            .unwrap_or("no email");
        format!(
            "{} <{email}> via {}",
            auth.subject,
            auth.client_id.as_deref().unwrap_or("no client")
        )
    }

    #[tool(description = "Save a note for the signed-in user")]
    async fn add_note(
        &self,
        auth: AuthContext,
        Parameters(NoteArgs { text }): Parameters<NoteArgs>,
    ) -> String {
        let Ok(mut notes) = self.notes.lock() else {
            return String::from("the notes are unavailable");
        };
        let mine = notes.entry(auth.subject).or_default();
        mine.push(text.chars().take(1000).collect());
        format!("saved; you have {} notes", mine.len())
    }

    #[tool(description = "List the signed-in user's notes")]
    async fn list_notes(&self, auth: AuthContext) -> String {
        let Ok(notes) = self.notes.lock() else {
            return String::from("the notes are unavailable");
        };
        notes
            .get(&auth.subject)
            .map(|n| n.join("\n"))
            .unwrap_or_default()
    }
}

/// The example server.
#[frontmcp(
    info(name = "LocalExample", version = "0.1.0"),
    apps(NotesApp),
    http(port = 3000),
    auth(
        mode = "local",
        session_mode = "stateful",
        token_storage(sqlite(path = "frontmcp-auth.db")),
        refresh(access_token_ttl = 900, refresh_token_ttl = 604800),
        login(authenticator = "password"),
    )
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
