//! What the API commands share: where the service is, the token, `--verbose`.

use super::exit;
use super::output::sanitize;
use clap::{Args, ValueEnum};
use preflight_api::upload::{Client, ClientConfig, Token, UploadError};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the API token (the only way to give it).
pub const TOKEN_VAR: &str = "PREFLIGHT_API_KEY";
/// The environment variable holding the base URL (or `--base-url`).
pub const BASE_URL_VAR: &str = "PREFLIGHT_BASE_URL";
/// Base retry delay in milliseconds (default 500), mostly for tests.
pub const RETRY_DELAY_VAR: &str = "PREFLIGHT_RETRY_DELAY_MS";

#[derive(Args, Debug, Clone)]
pub struct ApiArgs {
    /// Base URL of the asset API (default: $PREFLIGHT_BASE_URL). The token is
    /// read from $PREFLIGHT_API_KEY only.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Log every request and reply on stderr (the token shows as ***).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Seconds to wait for a reply.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// Attempts per call, the first included, on connection errors, 429 and 5xx.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,
    /// Send the token over plain http:// to a host other than this machine
    /// (refused without this flag: anyone on the path can read it).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

/// Table or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// The service's items as JSON.
    Json,
}

/// A configuration problem: exit code 2 with a message.
pub struct Usage(pub String);

impl ApiArgs {
    /// Whether an API is configured at all (for commands where it is optional).
    pub fn configured(&self) -> bool {
        self.base_url().is_some() && std::env::var_os(TOKEN_VAR).is_some()
    }

    fn base_url(&self) -> Option<String> {
        self.base_url
            .clone()
            .or_else(|| std::env::var(BASE_URL_VAR).ok())
            .filter(|s| !s.trim().is_empty())
    }

    /// The client, or why there cannot be one.
    pub fn client(&self) -> Result<Client, Usage> {
        let base = self.base_url().ok_or_else(|| {
            Usage(format!(
                "no API base URL: give --base-url or set {BASE_URL_VAR}"
            ))
        })?;
        let token = match Token::from_env(TOKEN_VAR) {
            Ok(Some(t)) => t,
            Ok(None) => return Err(Usage(format!("no API token: set {TOKEN_VAR}"))),
            Err(e) => return Err(Usage(format!("{TOKEN_VAR}: {}", UploadError::from(e)))),
        };
        let mut cfg = ClientConfig::new(base, token);
        cfg.allow_insecure_http = self.allow_insecure_http;
        if self.allow_insecure_http && cfg.sends_token_in_clear() {
            eprintln!(
                "preflight: warning: the token goes over plain http:// to {} (--allow-insecure-http)",
                sanitize(&cfg.base_url)
            );
        }
        cfg.timeouts.response = Duration::from_secs(self.timeout.max(1));
        cfg.retry.max_attempts = self.retries.max(1);
        if let Some(ms) = std::env::var(RETRY_DELAY_VAR)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            cfg.retry.base_delay = Duration::from_millis(ms);
            cfg.retry.max_delay = cfg
                .retry
                .max_delay
                .min(Duration::from_millis(ms.saturating_mul(64).max(1)));
        }
        if self.verbose {
            cfg.log = Some(Arc::new(|line: &str| eprintln!("preflight: {line}")));
        }
        Client::new(cfg).map_err(|e| Usage(e.to_string()))
    }
}

/// Prints an API error and gives the exit code: 2 for configuration, else 1.
pub fn fail(e: &UploadError) -> u8 {
    eprintln!("preflight: {}", sanitize(&e.to_string()));
    match e {
        UploadError::Config(_) => exit::USAGE,
        _ => exit::FAIL,
    }
}

/// Prints a usage problem and gives exit code 2.
pub fn usage(u: Usage) -> u8 {
    eprintln!("preflight: {}", u.0);
    exit::USAGE
}

/// Prints JSON on stdout; a closed pipe is not an error.
pub fn print_json<T: serde::Serialize>(v: &T) -> u8 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let r = serde_json::to_writer_pretty(&mut out, v)
        .map_err(std::io::Error::from)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match r {
        Ok(()) => exit::PASS,
        Err(e) if super::output::is_broken_pipe(&e) => exit::PASS,
        Err(e) => {
            eprintln!("preflight: cannot write output: {e}");
            exit::FAIL
        }
    }
}

/// Prints lines on stdout; a closed pipe is not an error.
pub fn print_lines(lines: &[String]) -> u8 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for l in lines {
        if let Err(e) = writeln!(out, "{l}") {
            if super::output::is_broken_pipe(&e) {
                return exit::PASS;
            }
            eprintln!("preflight: cannot write output: {e}");
            return exit::FAIL;
        }
    }
    exit::PASS
}
