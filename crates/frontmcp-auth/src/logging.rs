//! The log output `serve` installs: one JSON object per line on standard error, at
//! `logging.level` and above, with the value of every field named in `logging.redact` replaced
//! by `[redacted]` (field names compare case-insensitively). The server never logs a token,
//! code or secret on purpose; the redaction is the second line of defence.

use std::io::Write;
use std::sync::Mutex;

use frontmcp_auth_config::{LogLevel, LoggingConfig};
use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// A layer writing each event as a JSON line to `writer`.
pub struct JsonLines<W> {
    redact: Vec<String>,
    writer: Mutex<W>,
}

impl<W: Write> JsonLines<W> {
    /// Lines to `writer`, redacting the fields named in `redact`.
    pub fn new(redact: &[String], writer: W) -> Self {
        Self {
            redact: redact.iter().map(|f| f.to_ascii_lowercase()).collect(),
            writer: Mutex::new(writer),
        }
    }
}

struct Fields<'a> {
    redact: &'a [String],
    values: Map<String, Value>,
}

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        let value = if self.redact.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            json!(REDACTED)
        } else {
            value
        };
        self.values.insert(name.to_owned(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, json!(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, json!(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, json!(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, json!(value));
    }
}

impl<S: Subscriber, W: Write + Send + 'static> Layer<S> for JsonLines<W> {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields {
            redact: &self.redact,
            values: Map::new(),
        };
        event.record(&mut fields);
        let metadata = event.metadata();
        let mut line = Map::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        line.insert("ts_ms".into(), json!(now));
        line.insert("level".into(), json!(metadata.level().as_str()));
        line.insert("target".into(), json!(metadata.target()));
        line.extend(fields.values);
        if let Ok(mut writer) = self.writer.lock() {
            let _ = writeln!(writer, "{}", Value::Object(line));
        }
    }
}

/// The level filter of `level`.
pub fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Trace => LevelFilter::TRACE,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Off => LevelFilter::OFF,
    }
}

/// Installs the JSON-lines output for `config` as the process's subscriber, unless one is
/// installed already (an embedding application's own wins). Returns whether it was installed.
pub fn init(config: &LoggingConfig) -> bool {
    let layer = JsonLines::new(&config.redacted_fields(), std::io::stderr())
        .with_filter(level_filter(config.level));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut inner) = self.0.lock() {
                inner.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_json_filtered_by_level_and_redacted() {
        let buffer = Buffer::default();
        // An operator's list adds to the defaults: `access_token` stays redacted.
        let config = LoggingConfig {
            level: LogLevel::Info,
            redact: vec![String::from("ssn")],
        };
        let layer = JsonLines::new(&config.redacted_fields(), buffer.clone())
            .with_filter(level_filter(config.level));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "frontmcp_auth::test", access_token = "eyJ.secret", Code = "c0de", ssn = "078-05-1120", client_id = "app", count = 3u64, "issued");
            tracing::debug!(target: "frontmcp_auth::test", "below the level");
        });
        let text = String::from_utf8(buffer.0.lock().map(|b| b.clone()).unwrap_or_default())
            .expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 1, "debug is below info: {text}");
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "frontmcp_auth::test");
        assert_eq!(line["message"], "issued");
        assert_eq!(line["access_token"], REDACTED);
        assert_eq!(line["Code"], REDACTED, "names compare case-insensitively");
        assert_eq!(line["ssn"], REDACTED, "the operator's field is added");
        assert_eq!(line["client_id"], "app");
        assert_eq!(line["count"], 3);
        assert!(!text.contains("eyJ.secret") && !text.contains("c0de"));
    }
}
