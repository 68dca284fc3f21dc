//! Run with
//!
//! ```sh
//! cargo run -p example-consent      # serve on http://127.0.0.1:3001/mcp
//! ```
//!
//! Local-mode OAuth with the consent screen: after signing in, the user sees the tools of both
//! apps, grouped by app, and picks which ones the client may call. The token carries that
//! choice; `tools/list` shows only those tools and a call to any other is refused with
//! `TOOL_NOT_CONSENTED` (-32003). The choice is remembered per user and client.

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

/// Notes per user.
#[derive(Debug, Clone, Default)]
struct NotesApp {
    notes: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

#[tool_router(server_handler)]
impl NotesApp {
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

    #[tool(description = "Delete every note of the signed-in user")]
    async fn delete_notes(&self, auth: AuthContext) -> String {
        let Ok(mut notes) = self.notes.lock() else {
            return String::from("the notes are unavailable");
        };
        let gone = notes.remove(&auth.subject).map_or(0, |n| n.len());
        format!("deleted {gone} notes")
    }
}

/// A read-only calendar.
#[derive(Debug, Clone, Default)]
struct CalendarApp;

#[tool_router(server_handler)]
impl CalendarApp {
    #[tool(description = "The signed-in user's events today")]
    async fn list_events(&self, auth: AuthContext) -> String {
        format!("no events today for {}", auth.subject)
    }

    #[tool(description = "Who is signed in")]
    async fn whoami(&self, auth: AuthContext) -> String {
        auth.subject
    }
}

/// The example server.
#[frontmcp(
    info(name = "ConsentExample", version = "0.1.0"),
    apps(NotesApp, CalendarApp),
    http(port = 3001),
    auth(
        mode = "local",
        token_storage = "memory",
        consent(
            enabled = true,
            custom_message = "Choose what this assistant may do for you.",
            excluded_tools = ["whoami"],
            default_selected_tools = ["list_notes", "list_events"],
        ),
    )
)]
struct Server;

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(Server::definition()).await
}
