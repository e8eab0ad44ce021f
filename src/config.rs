//! Server configuration: every Socket.IO 0.9 option by its 0.9 name (PROTOCOL.md §8).
//!
//! [`Config`] holds typed settings with the reference defaults (§8.2) plus sio09's own options
//! (`workers`, `io driver`, `broadcast writes per tick`, `browser client path`, `tls cert`,
//! `tls key`). Values reach it from Rust code
//! ([`Config::set`], [`Config::enable`], …), from environment variables ([`Config::apply_env`]),
//! from a TOML file ([`Config::apply_toml`]) or from text ([`Config::set_str`], used by the CLI
//! and the C ABI). Every value is type-checked; a wrong value is an error that names the option,
//! what it expects and what it got. Unlike the reference, which stores unknown keys silently,
//! an unknown option name is an error (with a "did you mean" hint), so typos are caught.
//!
//! Deviations from the reference, on purpose:
//! - A string `origins` value is split into tokens on whitespace and commas and matched exactly
//!   (PROTOCOL.md ); every entry must have the shape `host:port` (`*` allowed).
//! - `log level` 0 means "errors only" (Q-37; see `log.rs`).
//! - Function- or object-valued options (`authorization`, `browser client handler`, `logger`,
//!   `static`) cannot be set from a value; only `false` (their default) is accepted.
//!
//! This module is a leaf: it depends on no other sio09 module. Reacting to changes (restarting
//! the policy server when `flash policy port` changes, applying `log level` to the logger, …)
//! is the caller's job (PROTOCOL.md §8.1 lists the reactions).

use std::fmt;
use std::io::IsTerminal;
use std::str::FromStr;

/// A transport a client may use (PROTOCOL.md §3), by its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// `websocket` (§3.2).
    Websocket,
    /// `flashsocket`: the websocket transport for Flash clients (§3.3).
    Flashsocket,
    /// `htmlfile`: the iframe streaming transport (§3.4).
    Htmlfile,
    /// `xhr-polling` (§3.5).
    XhrPolling,
    /// `jsonp-polling` (§3.6).
    JsonpPolling,
}

impl Transport {
    /// Every transport, in the order the client prefers them.
    pub const ALL: [Transport; 5] = [
        Transport::Websocket,
        Transport::Flashsocket,
        Transport::Htmlfile,
        Transport::XhrPolling,
        Transport::JsonpPolling,
    ];

    /// The default `transports` setting (flashsocket must be added explicitly).
    pub const DEFAULT: [Transport; 4] = [
        Transport::Websocket,
        Transport::Htmlfile,
        Transport::XhrPolling,
        Transport::JsonpPolling,
    ];

    /// The wire name, as used in URLs, in the handshake and in the `transports` option.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Websocket => "websocket",
            Transport::Flashsocket => "flashsocket",
            Transport::Htmlfile => "htmlfile",
            Transport::XhrPolling => "xhr-polling",
            Transport::JsonpPolling => "jsonp-polling",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const TRANSPORT_EXPECTED: &str =
    "transport names among websocket, flashsocket, htmlfile, xhr-polling, jsonp-polling";

impl FromStr for Transport {
    type Err = ConfigError;

    /// Parses an exact wire name (`xhr-polling`, not `xhr_polling` or `XHR-Polling`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Transport::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| ConfigError::BadValue {
                key: "transports".to_owned(),
                expected: TRANSPORT_EXPECTED,
                got: quote(s),
            })
    }
}

/// Which I/O driver the shards use (sio09's own option `io driver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoDriver {
    /// `auto` (default): io_uring when the kernel allows it, else epoll.
    Auto,
    /// `uring`: io_uring only; starting fails when it is unavailable.
    Uring,
    /// `legacy`: epoll only.
    Legacy,
}

impl IoDriver {
    /// The option value naming this driver.
    pub fn name(self) -> &'static str {
        match self {
            IoDriver::Auto => "auto",
            IoDriver::Uring => "uring",
            IoDriver::Legacy => "legacy",
        }
    }
}

impl fmt::Display for IoDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const IO_DRIVER_EXPECTED: &str = "`auto`, `uring` (alias `io_uring`) or `legacy` (alias `epoll`)";

impl FromStr for IoDriver {
    type Err = ConfigError;

    /// Parses `auto`, `uring` / `io_uring` / `io-uring`, `legacy` / `epoll`
    /// (case-insensitive, surrounding whitespace ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(IoDriver::Auto),
            "uring" | "io_uring" | "io-uring" => Ok(IoDriver::Uring),
            "legacy" | "epoll" => Ok(IoDriver::Legacy),
            _ => Err(ConfigError::BadValue {
                key: "io driver".to_owned(),
                expected: IO_DRIVER_EXPECTED,
                got: quote(s),
            }),
        }
    }
}

/// Where shared state lives (option `store`, PROTOCOL.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// In-process store (the default; single node only). Option value `memory`.
    Memory,
    /// Redis store, compatible with the 0.9 RedisStore wire format.
    Redis {
        /// `redis://[[user]:password@]host[:port][/db]`, shape-checked when set.
        url: String,
    },
}

impl StoreSpec {
    /// The option value: `memory` or the Redis URL.
    pub fn as_str(&self) -> &str {
        match self {
            StoreSpec::Memory => "memory",
            StoreSpec::Redis { url } => url,
        }
    }

    /// The parsed Redis address, or `None` for the memory store.
    pub fn redis_target(&self) -> Option<RedisTarget> {
        match self {
            StoreSpec::Memory => None,
            StoreSpec::Redis { url } => parse_redis_url(url).ok(),
        }
    }
}

/// The parts of a `redis://` URL (see [`parse_redis_url`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTarget {
    /// Host name or IP address (IPv6 without the brackets).
    pub host: String,
    /// TCP port; 6379 when the URL has none.
    pub port: u16,
    /// ACL user name (Redis 6+), percent-decoded; `None` when absent or empty.
    pub username: Option<String>,
    /// Password for `AUTH`, percent-decoded; `None` when the URL has none.
    pub password: Option<String>,
    /// Database index for `SELECT`; 0 when the URL has none.
    pub db: u32,
}

const STORE_EXPECTED: &str = "`memory` or a URL redis://[:password@]host:port[/db]";

/// Parses and shape-checks `redis://[[user]:password@]host[:port][/db]`.
///
/// The error is a short description of what is wrong with the URL.
pub fn parse_redis_url(url: &str) -> Result<RedisTarget, String> {
    let rest = match url.strip_prefix("redis://") {
        Some(rest) => rest,
        None if url.starts_with("rediss://") => {
            return Err("TLS (rediss://) is not supported; use redis://".to_owned())
        }
        None => return Err("the URL must start with redis://".to_owned()),
    };
    if rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
        return Err("the URL must not contain spaces, a query or a fragment".to_owned());
    }
    let (userinfo, hostpart) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (username, password) = match userinfo {
        None => (None, None),
        Some(u) => {
            let Some((user, pass)) = u.split_once(':') else {
                return Err(
                    "credentials must be written `:password@` or `user:password@`".to_owned(),
                );
            };
            let user = percent_decode(user).ok_or("bad %-escape in the user name")?;
            let pass = percent_decode(pass).ok_or("bad %-escape in the password")?;
            ((!user.is_empty()).then_some(user), Some(pass))
        }
    };
    let (hostport, db) = match hostpart.split_once('/') {
        Some((hp, db)) => (hp, db),
        None => (hostpart, ""),
    };
    let db = if db.is_empty() {
        0
    } else if db.bytes().all(|b| b.is_ascii_digit()) {
        db.parse::<u32>()
            .map_err(|_| "the database index is too large")?
    } else {
        return Err(format!(
            "the database index must be a number, got {}",
            quote(db)
        ));
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let Some((h, after)) = v6.split_once(']') else {
            return Err("unclosed `[` in the host".to_owned());
        };
        match after {
            "" => (h, None),
            p => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err("unexpected text after `]`".to_owned()),
            },
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".to_owned());
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!("invalid host {}", quote(host)));
    }
    let port = match port {
        None => 6379,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("the port must be 1-65535, got {}", quote(p))),
        },
    };
    Ok(RedisTarget {
        host: host.to_owned(),
        port,
        username,
        password,
        db,
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A value given to [`Config::set`]: from code, the environment, TOML or the C ABI.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A boolean (`true` / `false`).
    Bool(bool),
    /// A number; integers are exact up to 2^53.
    Number(f64),
    /// A string.
    Str(String),
    /// A list of strings (`origins`, `transports`, `blacklist`).
    List(Vec<String>),
}

impl OptionValue {
    /// JavaScript truthiness: `false`, `0`, `NaN` and `""` are falsy; every list is truthy.
    pub fn truthy(&self) -> bool {
        match self {
            OptionValue::Bool(b) => *b,
            OptionValue::Number(n) => *n != 0.0 && !n.is_nan(),
            OptionValue::Str(s) => !s.is_empty(),
            OptionValue::List(_) => true,
        }
    }
}

impl fmt::Display for OptionValue {
    /// A short, unambiguous rendering for messages: `true`, `25`, `"text"`, `["a", "b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Number(n) => write!(f, "{n}"),
            OptionValue::Str(s) => write!(f, "{s:?}"),
            OptionValue::List(items) => write!(f, "{items:?}"),
        }
    }
}

impl From<bool> for OptionValue {
    fn from(v: bool) -> Self {
        OptionValue::Bool(v)
    }
}
impl From<f64> for OptionValue {
    fn from(v: f64) -> Self {
        OptionValue::Number(v)
    }
}
impl From<i32> for OptionValue {
    fn from(v: i32) -> Self {
        OptionValue::Number(v.into())
    }
}
impl From<u32> for OptionValue {
    fn from(v: u32) -> Self {
        OptionValue::Number(v.into())
    }
}
impl From<i64> for OptionValue {
    fn from(v: i64) -> Self {
        OptionValue::Number(v as f64)
    }
}
impl From<u64> for OptionValue {
    fn from(v: u64) -> Self {
        OptionValue::Number(v as f64)
    }
}
impl From<&str> for OptionValue {
    fn from(v: &str) -> Self {
        OptionValue::Str(v.to_owned())
    }
}
impl From<String> for OptionValue {
    fn from(v: String) -> Self {
        OptionValue::Str(v)
    }
}
impl From<Vec<String>> for OptionValue {
    fn from(v: Vec<String>) -> Self {
        OptionValue::List(v)
    }
}
impl From<&[&str]> for OptionValue {
    fn from(v: &[&str]) -> Self {
        OptionValue::List(v.iter().map(|s| (*s).to_owned()).collect())
    }
}
impl<const N: usize> From<[&str; N]> for OptionValue {
    fn from(v: [&str; N]) -> Self {
        OptionValue::List(v.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// Why a configuration value was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The option name is not one of [`Config::OPTION_NAMES`].
    #[error("{}", unknown_option_message(.0))]
    UnknownOption(String),
    /// The value has the wrong type or is out of range.
    #[error("invalid value for option `{key}`: expected {expected}, got {got}")]
    BadValue {
        /// The option name.
        key: String,
        /// What the option accepts.
        expected: &'static str,
        /// The offending value, as given (shortened when long).
        got: String,
    },
    /// A function- or object-valued option was given a plain value.
    #[error(
        "option `{key}` takes a {takes} and cannot be set from a value (only `false`, its \
         default, is accepted): {hint}"
    )]
    RustApiOnly {
        /// The option name.
        key: String,
        /// What the reference expects there (`function`, `object`).
        takes: &'static str,
        /// What to use instead.
        hint: &'static str,
    },
    /// A `SIO_*` environment variable that names no option.
    #[error("{}", unknown_env_message(.0))]
    UnknownEnvVar(String),
    /// A `SIO_*` environment variable with a bad value.
    #[error("environment variable `{var}`: {source}")]
    Env {
        /// The variable name.
        var: String,
        /// What was wrong with its value.
        #[source]
        source: Box<ConfigError>,
    },
    /// The TOML text does not parse, or a value has a type TOML can carry but no option takes.
    #[error("configuration file: {0}")]
    Toml(String),
}

/// Prefix of the environment variables read by [`Config::apply_env`].
pub const ENV_PREFIX: &str = "SIO_";

/// `SIO_*` variables that [`Config::apply_env`] skips instead of rejecting. Empty: every
/// `SIO_*` variable must name an option. Callers that use other `SIO_*` variables for their own
/// purposes pass them to [`Config::apply_env_except`].
pub const ENV_ALLOW_LIST: &[&str] = &[];

/// Typed settings with the 0.9 defaults (PROTOCOL.md §8.2) plus sio09's own options.
///
/// Fields are public for reading; set them through [`Config::set`] and friends so values are
/// validated (direct writes skip validation).
#[derive(Debug, Clone)]
pub struct Config {
    /// `origins` (default `["*:*"]`): allowed `host:port` entries, `*` for any side (§1.12).
    pub origins: Vec<String>,
    /// `store` (default memory).
    pub store: StoreSpec,
    /// `log` (default true): master switch for logging.
    pub log: bool,
    /// `log level` (default 3): 0 error, 1 warn, 2 info, 3 debug.
    pub log_level: u8,
    /// `log colors` (default: whether stdout is a terminal).
    pub log_colors: bool,
    /// `heartbeats` (default true).
    pub heartbeats: bool,
    /// `resource` (default `/socket.io`): starts with `/`, never ends with `/`.
    pub resource: String,
    /// `transports` (default websocket, htmlfile, xhr-polling, jsonp-polling), no duplicates.
    pub transports: Vec<Transport>,
    /// `blacklist` (default `["disconnect"]`): inbound event names that are ignored.
    pub blacklist: Vec<String>,
    /// `close timeout` in seconds (default 60).
    pub close_timeout: f64,
    /// `heartbeat interval` in seconds (default 25).
    pub heartbeat_interval: f64,
    /// `heartbeat timeout` in seconds (default 60).
    pub heartbeat_timeout: f64,
    /// `polling duration` in seconds (default 20).
    pub polling_duration: f64,
    /// `flash policy server` (default true).
    pub flash_policy_server: bool,
    /// `flash policy port` (default 10843); negative: no dedicated listener.
    pub flash_policy_port: i32,
    /// `destroy upgrade` (default true).
    pub destroy_upgrade: bool,
    /// `destroy buffer size` in bytes (default 10E7 = 100 000 000).
    pub destroy_buffer_size: u64,
    /// `browser client` (default true).
    pub browser_client: bool,
    /// `browser client cache` (default true).
    pub browser_client_cache: bool,
    /// `browser client minification` (default false).
    pub browser_client_minification: bool,
    /// `browser client etag` (default false).
    pub browser_client_etag: bool,
    /// `browser client expires` in seconds (default 315360000).
    pub browser_client_expires: u64,
    /// `browser client gzip` (default false).
    pub browser_client_gzip: bool,
    /// `browser client path` (sio09's own; default none): the socket.io-client `dist/` folder.
    pub browser_client_path: Option<String>,
    /// `client store expiration` in seconds (default 15).
    pub client_store_expiration: f64,
    /// `match origin protocol` (default false).
    pub match_origin_protocol: bool,
    /// `workers` (sio09's own; default 0): shard threads, 0 for one per available core.
    pub workers: usize,
    /// `io driver` (sio09's own; default auto).
    pub io_driver: IoDriver,
    /// `broadcast writes per tick` (sio09's own; default 500): how many coalesced
    /// broadcast writes a shard starts per 10 ms tick; 0 turns coalescing off (every
    /// broadcast frame is written at once, as 0.9 did). See README "Limits".
    pub broadcast_writes_per_tick: usize,
    /// `redis pub`, `redis sub`, `redis client` (sio09; 0.9's `redisPub`/`redisSub`/
    /// `redisClient`): separate Redis servers for publishing, subscribing and the client-data
    /// commands; `None` (the default, set with `""`) means the `store` URL.
    pub redis_pub: Option<String>,
    /// See [`Config::redis_pub`].
    pub redis_sub: Option<String>,
    /// See [`Config::redis_pub`].
    pub redis_client: Option<String>,
    /// `tls cert` (sio09's own; default none): the PEM file with the certificate chain
    /// (leaf first), or the PEM text itself (a value starting with `-----BEGIN`). With
    /// [`Config::tls_key`], every connection on the listener is TLS (https, wss); both or
    /// neither. Read once at start.
    pub tls_cert: Option<String>,
    /// `tls key` (sio09's own; default none): the PEM file with the private key (PKCS#8,
    /// PKCS#1 or SEC1) of [`Config::tls_cert`], or the PEM text itself. Reading the
    /// option back gives `(inline PEM)` for PEM text, never the key.
    pub tls_key: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            origins: vec!["*:*".to_owned()],
            store: StoreSpec::Memory,
            redis_pub: None,
            redis_sub: None,
            redis_client: None,
            log: true,
            log_level: 3,
            log_colors: std::io::stdout().is_terminal(),
            heartbeats: true,
            resource: "/socket.io".to_owned(),
            transports: Transport::DEFAULT.to_vec(),
            blacklist: vec!["disconnect".to_owned()],
            close_timeout: 60.0,
            heartbeat_interval: 25.0,
            heartbeat_timeout: 60.0,
            polling_duration: 20.0,
            flash_policy_server: true,
            flash_policy_port: 10843,
            destroy_upgrade: true,
            destroy_buffer_size: 100_000_000,
            browser_client: true,
            browser_client_cache: true,
            browser_client_minification: false,
            browser_client_etag: false,
            browser_client_expires: 315_360_000,
            browser_client_gzip: false,
            browser_client_path: None,
            client_store_expiration: 15.0,
            match_origin_protocol: false,
            workers: 0,
            io_driver: IoDriver::Auto,
            broadcast_writes_per_tick: 500,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// The value types options take, for parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Number,
    Text,
    List,
    Function,
}

fn kind_of(key: &str) -> Option<Kind> {
    Some(match key {
        "log"
        | "log colors"
        | "heartbeats"
        | "flash policy server"
        | "destroy upgrade"
        | "browser client"
        | "browser client cache"
        | "browser client minification"
        | "browser client etag"
        | "browser client gzip"
        | "match origin protocol" => Kind::Bool,
        "log level"
        | "close timeout"
        | "heartbeat interval"
        | "heartbeat timeout"
        | "polling duration"
        | "flash policy port"
        | "destroy buffer size"
        | "browser client expires"
        | "client store expiration"
        | "workers"
        | "broadcast writes per tick" => Kind::Number,
        "store"
        | "resource"
        | "browser client path"
        | "io driver"
        | "redis pub"
        | "redis sub"
        | "redis client"
        | "tls cert"
        | "tls key" => Kind::Text,
        "origins" | "transports" | "blacklist" => Kind::List,
        "authorization" | "browser client handler" | "logger" | "static" => Kind::Function,
        _ => return None,
    })
}

const BOOL_EXPECTED: &str = "a boolean (true or false; as text also yes/no, on/off, 1/0)";
const SECONDS_EXPECTED: &str = "a finite number of seconds >= 0 (fractions allowed)";
const LOG_LEVEL_EXPECTED: &str = "an integer log level: 0 error, 1 warn, 2 info, 3 debug";
const PORT_EXPECTED: &str =
    "an integer port up to 65535 (a negative value disables the dedicated listener)";
const BYTES_EXPECTED: &str = "a whole number of bytes >= 0 (e.g. 100000000 or 10E7)";
const EXPIRES_EXPECTED: &str = "a whole number of seconds >= 0";
const BROADCAST_WRITES_EXPECTED: &str = "a whole number of coalesced broadcast writes per \
     10 ms tick and shard, from 0 (coalescing off: every broadcast frame written at once) to 1000000";
const WORKERS_EXPECTED: &str =
    "a whole number of shard threads from 0 (one per available core) to 1024";
const ORIGINS_EXPECTED: &str = "one or more `host:port` entries (`*` for any host or port, \
     e.g. `example.com:*`; no scheme), as a list or a string separated by spaces or commas";
const RESOURCE_EXPECTED: &str =
    "a path starting with `/` other than `/` itself, without spaces, `?` or `#`";
const TRANSPORTS_LIST_EXPECTED: &str = "a non-empty list of transport names among websocket, \
     flashsocket, htmlfile, xhr-polling, jsonp-polling";
const BLACKLIST_EXPECTED: &str = "a list of event names (or a string of names separated by commas)";
const PATH_EXPECTED: &str = "a directory path (or false for none)";
const PEM_PATH_EXPECTED: &str =
    "a path to a PEM file, the PEM text itself (or false or \"\" for none)";

/// Longest rendering of an offending value kept in an error message.
const GOT_MAX: usize = 80;

fn quote(s: &str) -> String {
    shorten(format!("{s:?}"))
}

fn shorten(mut s: String) -> String {
    if s.len() > GOT_MAX {
        let mut cut = GOT_MAX;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn bad(key: &str, expected: &'static str, got: &OptionValue) -> ConfigError {
    ConfigError::BadValue {
        key: key.to_owned(),
        expected,
        got: shorten(got.to_string()),
    }
}

fn bad_text(key: &str, expected: &'static str, got: &str) -> ConfigError {
    ConfigError::BadValue {
        key: key.to_owned(),
        expected,
        got: quote(got),
    }
}

fn want_bool(key: &str, v: &OptionValue) -> Result<bool, ConfigError> {
    match v {
        OptionValue::Bool(b) => Ok(*b),
        other => Err(bad(key, BOOL_EXPECTED, other)),
    }
}

fn want_seconds(key: &str, v: &OptionValue) -> Result<f64, ConfigError> {
    match v {
        OptionValue::Number(n) if n.is_finite() && *n >= 0.0 => Ok(*n),
        other => Err(bad(key, SECONDS_EXPECTED, other)),
    }
}

/// An integral number within `[min, max]`.
fn want_int(
    key: &str,
    v: &OptionValue,
    min: f64,
    max: f64,
    expected: &'static str,
) -> Result<f64, ConfigError> {
    match v {
        OptionValue::Number(n) if n.is_finite() && n.fract() == 0.0 && *n >= min && *n <= max => {
            Ok(*n)
        }
        other => Err(bad(key, expected, other)),
    }
}

/// The largest f64 that converts to u64 without saturating (2^64 - 2048).
const U64_MAX_F64: f64 = 18_446_744_073_709_549_568.0;

fn split_tokens(s: &str, on_whitespace: bool) -> Vec<String> {
    s.split(|c: char| c == ',' || (on_whitespace && c.is_whitespace()))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn valid_origin(entry: &str) -> bool {
    let Some((host, port)) = entry.rsplit_once(':') else {
        return false;
    };
    let host_ok = !host.is_empty()
        && !host
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | ',' | '?' | '#' | '@'));
    let port_ok = port == "*"
        || (!port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65535));
    host_ok && port_ok
}

fn parse_origins(key: &str, v: &OptionValue) -> Result<Vec<String>, ConfigError> {
    let entries = match v {
        OptionValue::Str(s) => split_tokens(s, true),
        OptionValue::List(items) => items.iter().map(|s| s.trim().to_owned()).collect(),
        other => return Err(bad(key, ORIGINS_EXPECTED, other)),
    };
    if entries.is_empty() {
        return Err(bad(key, ORIGINS_EXPECTED, v));
    }
    if let Some(badone) = entries.iter().find(|e| !valid_origin(e)) {
        return Err(bad_text(key, ORIGINS_EXPECTED, badone));
    }
    Ok(entries)
}

fn parse_transports(key: &str, v: &OptionValue) -> Result<Vec<Transport>, ConfigError> {
    let names = match v {
        OptionValue::Str(s) => split_tokens(s, true),
        OptionValue::List(items) => items.iter().map(|s| s.trim().to_owned()).collect(),
        other => return Err(bad(key, TRANSPORTS_LIST_EXPECTED, other)),
    };
    let mut out: Vec<Transport> = Vec::with_capacity(names.len());
    for name in &names {
        let t: Transport = name.parse()?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(bad(key, TRANSPORTS_LIST_EXPECTED, v));
    }
    Ok(out)
}

fn parse_resource(key: &str, v: &OptionValue) -> Result<String, ConfigError> {
    let OptionValue::Str(s) = v else {
        return Err(bad(key, RESOURCE_EXPECTED, v));
    };
    let trimmed = s.trim_end_matches('/');
    if !s.starts_with('/')
        || trimmed.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        return Err(bad(key, RESOURCE_EXPECTED, v));
    }
    Ok(trimmed.to_owned())
}

fn parse_store(key: &str, v: &OptionValue) -> Result<StoreSpec, ConfigError> {
    let OptionValue::Str(s) = v else {
        return Err(bad(key, STORE_EXPECTED, v));
    };
    let s = s.trim();
    if s.eq_ignore_ascii_case("memory") {
        return Ok(StoreSpec::Memory);
    }
    match parse_redis_url(s) {
        Ok(_) => Ok(StoreSpec::Redis { url: s.to_owned() }),
        Err(why) if s.contains("://") => Err(ConfigError::BadValue {
            key: key.to_owned(),
            expected: STORE_EXPECTED,
            got: format!("{} ({why})", quote(s)),
        }),
        Err(_) => Err(bad_text(key, STORE_EXPECTED, s)),
    }
}

const REDIS_EXPECTED: &str = "a URL redis://[:password@]host:port[/db], or \"\" for the store URL";

/// `tls cert`, `tls key`: a file path, or none (`false`, `""`). The file is read at start.
fn parse_path_option(key: &str, v: &OptionValue) -> Result<Option<String>, ConfigError> {
    match v {
        OptionValue::Bool(false) => Ok(None),
        OptionValue::Str(s) if s.trim().is_empty() => Ok(None),
        OptionValue::Str(s) => Ok(Some(s.clone())),
        other => Err(bad(key, PEM_PATH_EXPECTED, other)),
    }
}

/// What reading `tls cert` / `tls key` back shows: the path, or `(inline PEM)`.
fn shown_pem(v: &str) -> OptionValue {
    if crate::tls::is_inline_pem(v) {
        OptionValue::Str(crate::tls::INLINE_PEM.to_owned())
    } else {
        OptionValue::Str(v.to_owned())
    }
}

fn parse_redis_option(key: &str, v: &OptionValue) -> Result<Option<String>, ConfigError> {
    let OptionValue::Str(s) = v else {
        return Err(bad(key, REDIS_EXPECTED, v));
    };
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    parse_redis_url(s).map_err(|why| ConfigError::BadValue {
        key: key.to_owned(),
        expected: REDIS_EXPECTED,
        got: format!("{} ({why})", quote(s)),
    })?;
    Ok(Some(s.to_owned()))
}

fn function_option(key: &str, v: &OptionValue) -> Result<(), ConfigError> {
    if *v == OptionValue::Bool(false) {
        return Ok(());
    }
    let (takes, hint) = match key {
        "authorization" => (
            "function",
            "register the callback with the Rust API (Server::authorization)",
        ),
        "browser client handler" => (
            "function",
            "point `browser client path` at the socket.io-client dist/ folder, or route the \
             static URLs to your own handler in the Rust API",
        ),
        "logger" => (
            "logger object",
            "install your own tracing subscriber, or use sio09::log::layer_with_writer",
        ),
        _ => (
            "Static object",
            "use `browser client path` and the `browser client …` options, or the Rust API",
        ),
    };
    Err(ConfigError::RustApiOnly {
        key: key.to_owned(),
        takes,
        hint,
    })
}

fn parse_bool_text(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn normalize_name(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '_' | '-' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The option name closest to `key`, if one is close enough to be a likely typo.
fn suggest_option(key: &str) -> Option<&'static str> {
    let norm = normalize_name(key);
    let norm = norm.strip_prefix("sio ").unwrap_or(&norm);
    let limit = (norm.chars().count() / 3).max(2);
    Config::OPTION_NAMES
        .iter()
        .map(|name| (edit_distance(norm, name), *name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

fn unknown_option_message(key: &str) -> String {
    let mut msg = format!("unknown option {}", quote(key));
    match suggest_option(key) {
        Some(name) => msg.push_str(&format!(" (did you mean `{name}`?)")),
        None => msg.push_str(
            "; options use the socket.io 0.9 names with spaces, e.g. `heartbeat interval` \
             (see Config::OPTION_NAMES)",
        ),
    }
    msg
}

fn unknown_env_message(var: &str) -> String {
    let mut msg = format!(
        "unknown environment variable `{var}`: no option maps to it (option variables are \
         {ENV_PREFIX} + the option name upper-cased with spaces as underscores, e.g. \
         SIO_HEARTBEAT_INTERVAL)"
    );
    if let Some(name) = suggest_option(var.strip_prefix(ENV_PREFIX).unwrap_or(var)) {
        msg.push_str(&format!("; did you mean `{}`?", Config::env_name(name)));
    }
    msg
}

impl Config {
    /// Every accepted option name: the 0.9 names, then sio09's own.
    pub const OPTION_NAMES: &'static [&'static str] = &[
        "origins",
        "store",
        "log",
        "log level",
        "log colors",
        "heartbeats",
        "resource",
        "transports",
        "authorization",
        "blacklist",
        "close timeout",
        "heartbeat interval",
        "heartbeat timeout",
        "polling duration",
        "flash policy server",
        "flash policy port",
        "destroy upgrade",
        "destroy buffer size",
        "browser client",
        "browser client cache",
        "browser client minification",
        "browser client etag",
        "browser client expires",
        "browser client gzip",
        "browser client handler",
        "client store expiration",
        "match origin protocol",
        "logger",
        "static",
        "workers",
        "io driver",
        "broadcast writes per tick",
        "browser client path",
        "redis pub",
        "redis sub",
        "redis client",
        "tls cert",
        "tls key",
    ];

    /// Sets option `key` (its 0.9 name, e.g. `"heartbeat interval"`) to `value`.
    ///
    /// Values are type-checked and range-checked; on error nothing changes. Strings for list
    /// options are split (`origins`, `transports`: on whitespace and commas; `blacklist`: on
    /// commas). Function-valued options (`authorization`, `browser client handler`, `logger`,
    /// `static`) accept only `Bool(false)`, their default; anything else is
    /// [`ConfigError::RustApiOnly`]. Returns `self` for chaining.
    pub fn set(&mut self, key: &str, value: OptionValue) -> Result<&mut Self, ConfigError> {
        let v = &value;
        match key {
            "origins" => self.origins = parse_origins(key, v)?,
            "store" => self.store = parse_store(key, v)?,
            "redis pub" => self.redis_pub = parse_redis_option(key, v)?,
            "redis sub" => self.redis_sub = parse_redis_option(key, v)?,
            "redis client" => self.redis_client = parse_redis_option(key, v)?,
            "log" => self.log = want_bool(key, v)?,
            "log level" => self.log_level = want_int(key, v, 0.0, 3.0, LOG_LEVEL_EXPECTED)? as u8,
            "log colors" => self.log_colors = want_bool(key, v)?,
            "heartbeats" => self.heartbeats = want_bool(key, v)?,
            "resource" => self.resource = parse_resource(key, v)?,
            "transports" => self.transports = parse_transports(key, v)?,
            "blacklist" => {
                self.blacklist = match v {
                    OptionValue::Str(s) => split_tokens(s, false),
                    OptionValue::List(items) => items.clone(),
                    other => return Err(bad(key, BLACKLIST_EXPECTED, other)),
                }
            }
            "close timeout" => self.close_timeout = want_seconds(key, v)?,
            "heartbeat interval" => self.heartbeat_interval = want_seconds(key, v)?,
            "heartbeat timeout" => self.heartbeat_timeout = want_seconds(key, v)?,
            "polling duration" => self.polling_duration = want_seconds(key, v)?,
            "flash policy server" => self.flash_policy_server = want_bool(key, v)?,
            "flash policy port" => {
                self.flash_policy_port =
                    want_int(key, v, f64::from(i32::MIN), 65535.0, PORT_EXPECTED)? as i32
            }
            "destroy upgrade" => self.destroy_upgrade = want_bool(key, v)?,
            "destroy buffer size" => {
                self.destroy_buffer_size =
                    want_int(key, v, 0.0, U64_MAX_F64, BYTES_EXPECTED)? as u64
            }
            "browser client" => self.browser_client = want_bool(key, v)?,
            "browser client cache" => self.browser_client_cache = want_bool(key, v)?,
            "browser client minification" => self.browser_client_minification = want_bool(key, v)?,
            "browser client etag" => self.browser_client_etag = want_bool(key, v)?,
            "browser client expires" => {
                self.browser_client_expires =
                    want_int(key, v, 0.0, U64_MAX_F64, EXPIRES_EXPECTED)? as u64
            }
            "browser client gzip" => self.browser_client_gzip = want_bool(key, v)?,
            "browser client path" => {
                self.browser_client_path = match v {
                    OptionValue::Bool(false) => None,
                    OptionValue::Str(s) if s.is_empty() => None,
                    OptionValue::Str(s) => Some(s.clone()),
                    other => return Err(bad(key, PATH_EXPECTED, other)),
                }
            }
            "client store expiration" => self.client_store_expiration = want_seconds(key, v)?,
            "tls cert" => self.tls_cert = parse_path_option(key, v)?,
            "tls key" => self.tls_key = parse_path_option(key, v)?,
            "match origin protocol" => self.match_origin_protocol = want_bool(key, v)?,
            "workers" => self.workers = want_int(key, v, 0.0, 1024.0, WORKERS_EXPECTED)? as usize,
            "broadcast writes per tick" => {
                self.broadcast_writes_per_tick =
                    want_int(key, v, 0.0, 1_000_000.0, BROADCAST_WRITES_EXPECTED)? as usize
            }
            "io driver" => {
                self.io_driver = match v {
                    OptionValue::Str(s) => s.parse()?,
                    other => return Err(bad(key, IO_DRIVER_EXPECTED, other)),
                }
            }
            "authorization" | "browser client handler" | "logger" | "static" => {
                function_option(key, v)?
            }
            _ => return Err(ConfigError::UnknownOption(key.to_owned())),
        }
        Ok(self)
    }

    /// Sets option `key` from text (environment, command line, C ABI).
    ///
    /// Booleans: `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off` (case-insensitive). Numbers:
    /// decimal or exponent notation (`10E7`). Lists: separated by commas (and, for `origins`
    /// and `transports`, whitespace). Empty text for `browser client path` means none.
    pub fn set_str(&mut self, key: &str, raw: &str) -> Result<&mut Self, ConfigError> {
        let Some(kind) = kind_of(key) else {
            return Err(ConfigError::UnknownOption(key.to_owned()));
        };
        let value = match kind {
            Kind::Bool | Kind::Function => match parse_bool_text(raw) {
                Some(b) => OptionValue::Bool(b),
                None => OptionValue::Str(raw.to_owned()),
            },
            Kind::Number => match raw.trim().parse::<f64>() {
                Ok(n) => OptionValue::Number(n),
                Err(_) => OptionValue::Str(raw.to_owned()),
            },
            Kind::Text | Kind::List => OptionValue::Str(raw.to_owned()),
        };
        self.set(key, value)
    }

    /// The current value of option `key`.
    ///
    /// Function-valued options report `Bool(false)` (this type never holds functions), and so
    /// does `browser client path` when unset.
    pub fn get(&self, key: &str) -> Result<OptionValue, ConfigError> {
        use OptionValue::{Bool, List, Number, Str};
        Ok(match key {
            "origins" => List(self.origins.clone()),
            "store" => Str(self.store.as_str().to_owned()),
            "redis pub" => Str(self.redis_pub.clone().unwrap_or_default()),
            "redis sub" => Str(self.redis_sub.clone().unwrap_or_default()),
            "redis client" => Str(self.redis_client.clone().unwrap_or_default()),
            "log" => Bool(self.log),
            "log level" => Number(self.log_level.into()),
            "log colors" => Bool(self.log_colors),
            "heartbeats" => Bool(self.heartbeats),
            "resource" => Str(self.resource.clone()),
            "transports" => List(
                self.transport_names()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            ),
            "blacklist" => List(self.blacklist.clone()),
            "close timeout" => Number(self.close_timeout),
            "heartbeat interval" => Number(self.heartbeat_interval),
            "heartbeat timeout" => Number(self.heartbeat_timeout),
            "polling duration" => Number(self.polling_duration),
            "flash policy server" => Bool(self.flash_policy_server),
            "flash policy port" => Number(self.flash_policy_port.into()),
            "destroy upgrade" => Bool(self.destroy_upgrade),
            "destroy buffer size" => Number(self.destroy_buffer_size as f64),
            "browser client" => Bool(self.browser_client),
            "browser client cache" => Bool(self.browser_client_cache),
            "browser client minification" => Bool(self.browser_client_minification),
            "browser client etag" => Bool(self.browser_client_etag),
            "browser client expires" => Number(self.browser_client_expires as f64),
            "browser client gzip" => Bool(self.browser_client_gzip),
            "browser client path" => match &self.browser_client_path {
                Some(p) => Str(p.clone()),
                None => Bool(false),
            },
            "client store expiration" => Number(self.client_store_expiration),
            // inline PEM is not echoed back (a private key must not end up in a dump)
            "tls cert" => self.tls_cert.as_deref().map_or(Bool(false), shown_pem),
            "tls key" => self.tls_key.as_deref().map_or(Bool(false), shown_pem),
            "match origin protocol" => Bool(self.match_origin_protocol),
            "workers" => Number(self.workers as f64),
            "broadcast writes per tick" => Number(self.broadcast_writes_per_tick as f64),
            "io driver" => Str(self.io_driver.name().to_owned()),
            "authorization" | "browser client handler" | "logger" | "static" => Bool(false),
            _ => return Err(ConfigError::UnknownOption(key.to_owned())),
        })
    }

    /// `set(key, true)`: only options for which `true` type-checks (the boolean ones).
    pub fn enable(&mut self, key: &str) -> Result<&mut Self, ConfigError> {
        self.set(key, OptionValue::Bool(true))
    }

    /// `set(key, false)`: boolean options, plus `browser client path` and the function-valued
    /// options, for which `false` means "none".
    pub fn disable(&mut self, key: &str) -> Result<&mut Self, ConfigError> {
        self.set(key, OptionValue::Bool(false))
    }

    /// JavaScript truthiness of the value (`false`, `0`, `""` are falsy; unknown keys too).
    pub fn enabled(&self, key: &str) -> bool {
        self.get(key).is_ok_and(|v| v.truthy())
    }

    /// The negation of [`Config::enabled`].
    pub fn disabled(&self, key: &str) -> bool {
        !self.enabled(key)
    }

    /// `configure(env, f)` with the environment name passed in: runs `f` only when `env`
    /// equals `node_env`, or `"development"` when `node_env` is `None` or empty.
    pub fn configure_for(
        &mut self,
        env: &str,
        node_env: Option<&str>,
        f: impl FnOnce(&mut Self),
    ) -> &mut Self {
        let current = node_env.filter(|e| !e.is_empty()).unwrap_or("development");
        if env == current {
            f(self);
        }
        self
    }

    /// `configure(env, f)`: runs `f` only when `env` equals the `NODE_ENV` environment variable
    /// (`"development"` when unset or empty).
    pub fn configure(&mut self, env: &str, f: impl FnOnce(&mut Self)) -> &mut Self {
        let node_env = std::env::var("NODE_ENV").ok();
        self.configure_for(env, node_env.as_deref(), f)
    }

    /// `configure(f)` without an environment: runs `f` now, in every environment.
    pub fn configure_all(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        f(self);
        self
    }

    /// The environment variable for `option`: `SIO_` + the name upper-cased with spaces as
    /// underscores (`heartbeat interval` → `SIO_HEARTBEAT_INTERVAL`).
    pub fn env_name(option: &str) -> String {
        let mut out = String::with_capacity(ENV_PREFIX.len() + option.len());
        out.push_str(ENV_PREFIX);
        out.extend(option.chars().map(|c| match c {
            ' ' => '_',
            c => c.to_ascii_uppercase(),
        }));
        out
    }

    /// Applies every `SIO_*` variable in `vars` (e.g. `std::env::vars()`) with
    /// [`Config::set_str`]; other variables are ignored.
    ///
    /// A `SIO_*` variable that names no option is an error ([`ConfigError::UnknownEnvVar`]),
    /// so typos are caught; [`ENV_ALLOW_LIST`] (empty) lists exceptions. All or nothing: on
    /// error the configuration is unchanged. Returns the option names applied, in order.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Vec<String>, ConfigError> {
        self.apply_env_except(vars, ENV_ALLOW_LIST)
    }

    /// [`Config::apply_env`], also skipping the `SIO_*` variables named in `ignore` (for
    /// callers that use such variables for other purposes, e.g. `SIO_PORT` in a CLI).
    pub fn apply_env_except(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
        ignore: &[&str],
    ) -> Result<Vec<String>, ConfigError> {
        let mut next = self.clone();
        let mut applied = Vec::new();
        for (var, raw) in vars {
            if !var.starts_with(ENV_PREFIX)
                || ENV_ALLOW_LIST.contains(&var.as_str())
                || ignore.contains(&var.as_str())
            {
                continue;
            }
            let Some(option) = Self::OPTION_NAMES
                .iter()
                .copied()
                .find(|name| Self::env_name(name) == var)
            else {
                return Err(ConfigError::UnknownEnvVar(var));
            };
            if let Err(e) = next.set_str(option, &raw) {
                return Err(ConfigError::Env {
                    var,
                    source: Box::new(e),
                });
            }
            applied.push(option.to_owned());
        }
        *self = next;
        Ok(applied)
    }

    /// Applies a TOML document whose top-level keys are option names (quote the names with
    /// spaces: `"heartbeat interval" = 10`). TOML booleans, integers, floats (`10E7`),
    /// strings and arrays of strings map to [`OptionValue`]s. All or nothing: on error the
    /// configuration is unchanged.
    pub fn apply_toml(&mut self, text: &str) -> Result<(), ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string().trim_end().to_owned()))?;
        let mut next = self.clone();
        for (key, value) in table {
            if kind_of(&key).is_none() {
                return Err(ConfigError::UnknownOption(key));
            }
            let v = match value {
                toml::Value::Boolean(b) => OptionValue::Bool(b),
                toml::Value::Integer(i) => OptionValue::Number(i as f64),
                toml::Value::Float(f) => OptionValue::Number(f),
                toml::Value::String(s) => OptionValue::Str(s),
                toml::Value::Array(items) => {
                    let mut list = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            toml::Value::String(s) => list.push(s),
                            other => {
                                return Err(ConfigError::Toml(format!(
                                    "option `{key}`: array items must be strings, got {}",
                                    other.type_str()
                                )))
                            }
                        }
                    }
                    OptionValue::List(list)
                }
                other => {
                    return Err(ConfigError::Toml(format!(
                        "option `{key}`: expected a boolean, number, string or array of \
                         strings, got a {}",
                        other.type_str()
                    )))
                }
            };
            next.set(&key, v)?;
        }
        *self = next;
        Ok(())
    }

    /// Startup warnings: options in `inactive` (parsed and stored, but not active in this
    /// build) that differ from their default, and risky values (`heartbeats` off, PROTOCOL.md
    /// Q-28; `polling duration` not below `close timeout`; `heartbeat interval` not below
    /// `heartbeat timeout`).
    pub fn warnings(&self, inactive: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let defaults = Config {
            log_colors: self.log_colors,
            ..Config::default()
        };
        for name in inactive {
            if let (Ok(now), Ok(default)) = (self.get(name), defaults.get(name)) {
                if now != default {
                    out.push(format!(
                        "option `{name}` is set to {} but is not supported by this build yet; \
                         it has no effect",
                        shorten(now.to_string())
                    ));
                }
            }
        }
        if !self.heartbeats {
            out.push(
                "`heartbeats` is disabled: socket.io-client 0.9.16 reads the empty heartbeat \
                 timeout as 0 ms and closes every transport before `connect` fires (PROTOCOL.md \
                 Q-28); only clients that handle it can connect"
                    .to_owned(),
            );
        }
        if self.polling_duration >= self.close_timeout {
            out.push(format!(
                "`polling duration` ({}s) is not below `close timeout` ({}s): polling clients \
                 will be disconnected between polls",
                self.polling_duration, self.close_timeout
            ));
        }
        if self.heartbeats
            && self.heartbeat_timeout > 0.0
            && self.heartbeat_interval >= self.heartbeat_timeout
        {
            out.push(format!(
                "`heartbeat interval` ({}s) is not below `heartbeat timeout` ({}s): idle \
                 websocket and htmlfile clients will time out before the next heartbeat",
                self.heartbeat_interval, self.heartbeat_timeout
            ));
        }
        out
    }

    /// The enabled transports' wire names, in configured order.
    pub fn transport_names(&self) -> Vec<&'static str> {
        self.transports.iter().map(|t| t.name()).collect()
    }

    /// The heartbeat timeout for the handshake: `None` (an empty field) when heartbeats are
    /// disabled or the timeout is 0 (PROTOCOL.md §1.4).
    pub fn handshake_heartbeat_timeout(&self) -> Option<f64> {
        (self.heartbeats && self.heartbeat_timeout != 0.0).then_some(self.heartbeat_timeout)
    }

    /// The close timeout for the handshake: `None` (an empty field) when it is 0.
    pub fn handshake_close_timeout(&self) -> Option<f64> {
        (self.close_timeout != 0.0).then_some(self.close_timeout)
    }
}

#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;
