//! A notes server with local-mode OAuth, written without the `#[frontmcp]` attribute: the
//! definition is built in code. With the `sqlite` feature its state lives in `notes.db` and
//! users sign in against the password directory; without it, in memory with the demo login.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use frontmcp_auth::{AuthContext, ServerDefinition};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// Arguments of `add_note`.
#[derive(Debug, Deserialize, JsonSchema)]
struct NoteArgs {
    /// The note's text.
    text: String,
}

/// Notes per signed-in user.
#[derive(Debug, Clone, Default)]
struct NotesApp {
    notes: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

#[tool_router(server_handler)]
impl NotesApp {
    #[tool(description = "Who is signed in")]
    async fn whoami(&self, auth: AuthContext) -> String {
        let email = auth.claim("email").and_then(|e| e.as_str()).unwrap_or("no email");
        format!("{} <{email}>", auth.subject)
    }

    #[tool(description = "Save a note")]
    async fn add_note(&self, auth: AuthContext, Parameters(args): Parameters<NoteArgs>) -> String {
        let Ok(mut notes) = self.notes.lock() else {
            return String::from("the notes are unavailable");
        };
        let mine = notes.entry(auth.subject).or_default();
        mine.push(args.text);
        format!("saved; you have {} notes", mine.len())
    }
}

fn definition() -> ServerDefinition {
    let (storage, login) = if cfg!(feature = "sqlite") {
        (
            json!({ "sqlite": { "path": "notes.db" } }),
            json!({ "authenticator": "password" }),
        )
    } else {
        (json!("memory"), json!({}))
    };
    ServerDefinition::new("NotesServer")
        .app::<NotesApp>("notes")
        .with_base(json!({
            "info": { "name": "NotesServer", "version": "0.1.0" },
            "http": { "port": 3000 },
            "auth": {
                "mode": "local",
                "session_mode": "stateful",
                "token_storage": storage,
                "login": login,
            },
        }))
}

#[tokio::main]
async fn main() -> ExitCode {
    frontmcp_auth::cli::run(definition()).await
}
