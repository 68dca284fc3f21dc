//! Bounded HTTP GETs of JSON documents (JWKS, discovery metadata): a timeout and a size cap on
//! every call.

use std::time::Duration;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Connection, timeout or protocol failure.
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A non-success status.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body was larger than the cap.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// The body was not the JSON expected.
    #[error("{url} sent invalid JSON: {reason}")]
    Json {
        /// The URL.
        url: String,
        /// The parse error.
        reason: String,
    },
}

/// Fetches JSON over HTTP with a timeout and a size cap.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    client: reqwest::Client,
    max_bytes: usize,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        Self::new(Duration::from_secs(5), 256 * 1024)
    }
}

impl HttpFetcher {
    /// A fetcher whose every request times out after `timeout` and reads at most `max_bytes`.
    pub fn new(timeout: Duration, max_bytes: usize) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .unwrap_or_default();
        Self { client, max_bytes }
    }

    /// GETs `url` and parses the body as JSON.
    ///
    /// # Errors
    ///
    /// Transport failures, non-2xx statuses, bodies over the cap, invalid JSON.
    pub async fn get_json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let transport = |e: reqwest::Error| FetchError::Transport {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        let mut response = self
            .client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: response.status().as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge {
                    url: url.to_owned(),
                    limit: self.max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| FetchError::Json {
            url: url.to_owned(),
            reason: e.to_string(),
        })
    }
}
