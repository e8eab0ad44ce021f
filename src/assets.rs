//! Static browser-client serving (PROTOCOL.md §7, §8.2 `browser client*`, §10 Q-36).
//!
//! [`Assets::load`] runs once at start-up: it reads the npm package `socket.io-client@0.9.16`
//! (found through `browser client path`, default [`DEFAULT_CLIENT_PATH`]), produces every
//! client build the server can be asked for, gzips each distinct body once (level 9, no file
//! name, no timestamp) when `browser client gzip` is on, and formats every response head.
//! [`Assets::respond`] then only picks precomputed [`bytes::Bytes`] (a reference-count bump):
//! no per-request allocation in the common case. Versioned URLs carry `Date`/`Expires`, so
//! their heads are formatted once per second per build and reused within that second.
//!
//! # Paths
//!
//! The reference matches static paths by substring, so `/socket.io.jsx` or `/x/socket.io.js`
//! serve the client. sio09 matches exactly ([`Assets::is_static`]):
//! `/socket.io.js`, `/socket.io.vX.Y.Z.js`, `/socket.io+t1+t2….js`,
//! `/socket.io+t1+t2….vX.Y.Z.js` (transport names made of ASCII letters, digits, `_`, `-`;
//! empty names between `+` signs are ignored), `/static/flashsocket/WebSocketMain.swf` and
//! `/static/flashsocket/WebSocketMainInsecure.swf`. `/socket.io.min.js` is not a path (as in
//! the reference).
//!
//! # Builds, without Node at run time
//!
//! The reference runs the client's `bin/builder.js` per request (then caches): the license
//! line, a wrapper, `lib/` files in a fixed order (the 8 base files, then each transport's
//! dependencies in the order asked, each file once), the `active-x-obfuscator` pass, the
//! removal of `// if node` … `// end node` lines, and optionally uglify. sio09 reproduces the
//! unminified builds byte for byte in Rust from the package's `lib/` sources: the same order
//! and wrapping, the same line filter, and the obfuscation (`ActiveXObject` identifiers and
//! strings rewritten to `(['Active'].concat('Object').join('X'))`, `"ActiveX"` strings, the
//! first `ActiveX` of each comment to `Ac...eX`) done with a small JavaScript tokenizer. As a
//! self-check, the build of all five transports in the builder's default order must equal the
//! package's `dist/socket.io.js` (which is exactly that build); if it does not, or `lib/` is
//! incomplete, every build is served as `dist/socket.io.js` (all transports; PROTOCOL §7
//! allows a superset) with a start-up warning. Unminified builds therefore match the
//! reference exactly (default list: 74 747 bytes; `websocket` only: 56 495 bytes).
//!
//! Minification (uglify) is not reproduced: with `browser client minification` on, every
//! build is served as the package's `dist/socket.io.min.js`, the minified build of all five
//! transports (44 814 bytes; the reference's minified default build is 29 137 bytes). Extra
//! transports in the client are harmless: the client only uses those the handshake lists.
//! ETags still follow the requested transports, as in the reference.
//!
//! Every custom build a request can name is made at load: one per ordered sequence of distinct
//! enabled transports (64 for the default list, 325 with `flashsocket`), sharing one body per
//! distinct file list; a name repeated in the URL only changes the ETag (that rare head is
//! formatted per request). With `browser client gzip` on, each distinct body is compressed
//! once, which is most of the start-up cost (a fraction of a second in a debug build for the
//! default list).
//!
//! # `browser client cache`
//!
//! Files are read once at start-up whatever this option says; with the option off they are
//! *not* re-read per request (that would put blocking file reads on the I/O threads). To pick
//! up changed files, or changed `transports` / `browser client …` settings, build a new
//! [`Assets`] with [`Assets::load`]. With `browser client` off nothing is loaded at all (the
//! router answers static paths with `Welcome to socket.io.` then).
//!
//! # `browser client handler`
//!
//! A Rust function ([`ClientHandler`], installed with [`Assets::set_handler`]) that answers
//! every static request in place of the files, as the reference does once a handler is set
//! (its cache is never filled then).
//!
//! # Missing files
//!
//! Never a crash: [`Assets::load`] returns warnings that say where it looked and how to install
//! the package (`npm --prefix conformance ci`), and the affected paths answer `404` with a body
//! naming the missing file.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::config::{Config, Transport};
use crate::http::response::{write_head, write_response, TEXT_PLAIN};
use crate::http::{Method, RequestHead};

/// Where the socket.io-client package lives when `browser client path` is not set: the
/// project's installed copy (package root; `dist/` and `lib/` inside).
pub const DEFAULT_CLIENT_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/conformance/node_modules/socket.io-client"
);

/// Client version used when the package does not say (the one sio09 is built for).
const FALLBACK_VERSION: &str = "0.9.16";

/// How to get the package, for warnings.
const INSTALL_HINT: &str = "install it with `npm --prefix conformance ci` in the sio09 source \
     tree, or point `browser client path` at a socket.io-client 0.9.16 package";

const JS_TYPE: &str = "application/javascript";
const SWF_TYPE: &str = "application/x-shockwave-flash";

const SWF_PATHS: [&str; 2] = [
    "/static/flashsocket/WebSocketMain.swf",
    "/static/flashsocket/WebSocketMainInsecure.swf",
];
const SWF_FILES: [&str; 2] = ["WebSocketMain.swf", "WebSocketMainInsecure.swf"];

/// `lib/` files every build starts with, in the builder's order.
const BASE_FILES: [&str; 8] = [
    "io.js",
    "util.js",
    "events.js",
    "json.js",
    "parser.js",
    "transport.js",
    "socket.js",
    "namespace.js",
];

/// `lib/` files transports depend on; indices used by [`transport_deps`].
const TRANSPORT_FILES: [&str; 8] = [
    "transports/websocket.js",
    "transports/flashsocket.js",
    "vendor/web-socket-js/swfobject.js",
    "vendor/web-socket-js/web_socket.js",
    "transports/xhr.js",
    "transports/htmlfile.js",
    "transports/xhr-polling.js",
    "transports/jsonp-polling.js",
];

/// The builder's `baseTransports` table: each transport's files (indices into
/// [`TRANSPORT_FILES`]), in order.
fn transport_deps(t: Transport) -> &'static [usize] {
    match t {
        Transport::Websocket => &[0],
        Transport::Flashsocket => &[0, 1, 2, 3],
        Transport::Htmlfile => &[4, 5],
        Transport::XhrPolling => &[4, 6],
        Transport::JsonpPolling => &[4, 6, 7],
    }
}

/// The builder's default transport order (`Object.keys(baseTransports)`), which is what
/// `dist/socket.io.js` contains.
const BUILDER_ORDER: [Transport; 5] = [
    Transport::Websocket,
    Transport::Flashsocket,
    Transport::Htmlfile,
    Transport::XhrPolling,
    Transport::JsonpPolling,
];

const WRAPPER_PRE: &str =
    "\nvar io = ('undefined' === typeof module ? {} : module.exports);\n(function() {\n";
const WRAPPER_POST: &str =
    "\nif (typeof define === \"function\" && define.amd) {\n  define([], function () { return io; });\n}\n})();";

const OBFUSCATED_ACTIVE_X_OBJECT: &str = "(['Active'].concat('Object').join('X'))";
const OBFUSCATED_ACTIVE_X: &str = "(['Active'].concat('').join('X'))";

/// A user function that answers static requests (`browser client handler`): it gets the path
/// after the resource, the request head and whether the connection stays open, and returns
/// the whole response.
pub type ClientHandler = Arc<dyn Fn(&str, &RequestHead, bool) -> StaticResponse + Send + Sync>;

/// A ready response: head bytes + body, both shared (cloning is a refcount bump).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticResponse {
    /// Status line and headers, through the blank line.
    pub head: Bytes,
    /// The body (empty for `HEAD`, 304).
    pub body: Bytes,
}

/// One body with its gzip form (present only for JavaScript with `browser client gzip` on).
#[derive(Clone)]
struct Body {
    plain: Bytes,
    gzip: Option<Bytes>,
}

/// Versioned heads for one second: index [`head_index`].
struct VersionedHeads {
    secs: u64,
    heads: [Bytes; 4],
}

/// Everything needed to answer one served file or build (for one ETag).
struct Variant {
    content_type: &'static str,
    body: Body,
    /// `0.9.16` or `0.9.16:{id}`; compared with `If-None-Match` when etags are enabled.
    etag: String,
    /// Unversioned heads, index [`head_index`].
    heads: [Bytes; 4],
    /// Versioned heads, refreshed once per second.
    versioned: Mutex<Option<VersionedHeads>>,
}

/// A 404 for a file that is not installed.
struct Missing {
    /// Index: keep-alive as usize.
    heads: [Bytes; 2],
    body: Bytes,
}

/// The settings that shape the heads.
#[derive(Clone, Copy)]
struct HeadOpts {
    etag: bool,
    expires: u64,
}

/// What a static path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    /// One of the two SWF files (index into [`SWF_PATHS`]).
    Swf(usize),
    /// The build of the `transports` setting.
    Default { versioned: bool },
    /// A custom build: the `+`-separated names (without the leading `+`).
    Custom { names: &'a str, versioned: bool },
}

/// The served client files and builds, with every response precomputed at load.
pub struct Assets {
    opts: HeadOpts,
    version: String,
    enabled: Vec<Transport>,
    swf: [Result<Arc<Variant>, Arc<Missing>>; 2],
    default_build: Result<Arc<Variant>, Arc<Missing>>,
    /// Builds for every sequence of distinct enabled transports, by [`SeqKey`].
    custom: HashMap<u64, Arc<Variant>>,
    /// `304 Not Modified`, index keep-alive.
    not_modified: [Bytes; 2],
    handler: Option<ClientHandler>,
}

impl fmt::Debug for Assets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assets")
            .field("version", &self.version)
            .field("enabled", &self.enabled)
            .field("swf_loaded", &[self.swf[0].is_ok(), self.swf[1].is_ok()])
            .field("builds_loaded", &self.default_build.is_ok())
            .field("custom_builds", &self.custom.len())
            .field("handler", &self.handler.is_some())
            .finish()
    }
}

/// `heads` index for a response with (`gzip`, `keep_alive`).
fn head_index(gzip: bool, keep_alive: bool) -> usize {
    usize::from(gzip) * 2 + usize::from(keep_alive)
}

impl Assets {
    /// Load once at start-up from `cfg` (the files, minified or not, gzip level 9 with no
    /// name/mtime, ETags). Returns the assets and human-readable warnings (missing
    /// package/files: where it looked and how to install it). Never fails: what could not be
    /// loaded answers 404. With `browser client` off nothing is read.
    pub fn load(cfg: &Config) -> (Assets, Vec<String>) {
        let mut warnings = Vec::new();
        let opts = HeadOpts {
            etag: cfg.browser_client_etag,
            expires: cfg.browser_client_expires,
        };
        let enabled = dedup(&cfg.transports);
        if !cfg.browser_client {
            let missing = Arc::new(missing_response(
                "the browser client is disabled (`browser client` is off)",
            ));
            let assets = Assets::empty(opts, enabled, missing);
            return (assets, warnings);
        }

        let configured = cfg.browser_client_path.as_deref();
        let layout = Layout::resolve(configured.unwrap_or(DEFAULT_CLIENT_PATH));
        if !layout.dist.is_dir() && !layout.lib.is_dir() {
            warnings.push(format!(
                "browser client: socket.io-client not found at {} (no dist/ or lib/ folder); \
                 /socket.io.js and the other static client paths will answer 404; {INSTALL_HINT}",
                layout.root.display()
            ));
            let missing = Arc::new(missing_response(
                "socket.io-client is not installed on this server",
            ));
            return (Assets::empty(opts, enabled, missing), warnings);
        }
        let version = layout.version();

        // The SWF files.
        let swf = [0, 1].map(|i| {
            let file = SWF_FILES[i];
            match read_file(&layout.dist.join(file)) {
                Ok(data) => {
                    let body = Body {
                        plain: Bytes::from(data),
                        gzip: None,
                    };
                    Ok(Arc::new(Variant::new(
                        SWF_TYPE,
                        body,
                        version.clone(),
                        opts,
                    )))
                }
                Err(e) => {
                    warnings.push(format!(
                        "browser client: cannot read {}: {e}; {} will answer 404; {INSTALL_HINT}",
                        layout.dist.join(file).display(),
                        SWF_PATHS[i]
                    ));
                    Err(Arc::new(missing_response(&format!(
                        "dist/{file} of socket.io-client is not installed on this server"
                    ))))
                }
            }
        });

        // The JavaScript builds.
        let source = BuildSource::load(&layout, &version, cfg, &mut warnings);
        let (default_build, custom) = match source {
            None => (
                Err(Arc::new(missing_response(
                    "dist/socket.io.js of socket.io-client is not installed on this server",
                ))),
                HashMap::new(),
            ),
            Some(source) => {
                let gzip = cfg.browser_client_gzip;
                let mut bodies: HashMap<u64, Body> = HashMap::new();
                let mut custom = HashMap::new();
                for seq in sequences(&enabled) {
                    let Some(key) = seq_key(seq.iter().copied()) else {
                        continue;
                    };
                    let body = source.body(&seq, gzip, &mut bodies, &mut warnings);
                    let v = Variant::new(JS_TYPE, body, build_etag(&version, &seq), opts);
                    custom.insert(key, Arc::new(v));
                }
                let body = source.body(&cfg.transports, gzip, &mut bodies, &mut warnings);
                let etag = build_etag(&version, &cfg.transports);
                let default_build = Arc::new(Variant::new(JS_TYPE, body, etag, opts));
                (Ok(default_build), custom)
            }
        };

        let assets = Assets {
            opts,
            version,
            enabled,
            swf,
            default_build,
            custom,
            not_modified: not_modified_heads(),
            handler: None,
        };
        (assets, warnings)
    }

    /// Assets that answer 404 (`missing`) for everything.
    fn empty(opts: HeadOpts, enabled: Vec<Transport>, missing: Arc<Missing>) -> Assets {
        Assets {
            opts,
            version: FALLBACK_VERSION.to_owned(),
            enabled,
            swf: [Err(missing.clone()), Err(missing.clone())],
            default_build: Err(missing),
            custom: HashMap::new(),
            not_modified: not_modified_heads(),
            handler: None,
        }
    }

    /// Install (or with `None` remove) the `browser client handler`: it then answers every
    /// static request instead of the loaded files.
    pub fn set_handler(&mut self, handler: Option<ClientHandler>) {
        self.handler = handler;
    }

    /// The client version the files were loaded from (`0.9.16`), used in ETags.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether `path` (the request path after the resource prefix, without query) is a static
    /// path (exact match, Q-36): `/socket.io.js`, `/socket.io.vX.Y.Z.js`,
    /// `/socket.io+t1+t2[.vX.Y.Z].js`, `/static/flashsocket/WebSocketMain.swf`,
    /// `/static/flashsocket/WebSocketMainInsecure.swf`.
    pub fn is_static(&self, path: &str) -> bool {
        classify(path).is_some()
    }

    /// The response for a static request: 200 (GET; HEAD has the same head and an empty body),
    /// 304 for a matching `If-None-Match` (with `browser client etag` on), 404 when the file is
    /// missing (the body says what is missing) or the path is not static, 500
    /// `Error serving static {path}` when a custom build names no enabled transport.
    /// `keep_alive` controls the `Connection` header; `now_unix_secs` gives `Date`/`Expires`
    /// on versioned URLs.
    pub fn respond(
        &self,
        path: &str,
        head: &RequestHead,
        now_unix_secs: u64,
        keep_alive: bool,
    ) -> StaticResponse {
        if let Some(handler) = &self.handler {
            return handler(path, head, keep_alive);
        }
        let (slot, versioned) = match classify(path) {
            None => return not_found(keep_alive),
            Some(Kind::Swf(i)) => (self.swf[i].clone(), false),
            Some(Kind::Default { versioned }) => (self.default_build.clone(), versioned),
            Some(Kind::Custom { names, versioned }) => match &self.default_build {
                Err(m) => (Err(m.clone()), versioned),
                Ok(_) => match self.custom_variant(names) {
                    Some(v) => (Ok(v), versioned),
                    None => return server_error(path, keep_alive),
                },
            },
        };
        match slot {
            Err(missing) => StaticResponse {
                head: missing.heads[usize::from(keep_alive)].clone(),
                body: if head.method == Method::Head {
                    Bytes::new()
                } else {
                    missing.body.clone()
                },
            },
            Ok(v) => self.answer(&v, versioned, head, now_unix_secs, keep_alive),
        }
    }

    /// The variant for a custom build's `+`-separated names, `None` when no name is an
    /// enabled transport. Allocates only when a name is repeated (its ETag is then unusual).
    fn custom_variant(&self, names: &str) -> Option<Arc<Variant>> {
        let mut key = 0u64;
        let mut seen = 0u8;
        let mut repeated = false;
        for name in names.split('+') {
            let Some(t) = self.enabled_transport(name) else {
                continue;
            };
            let bit = 1u8 << transport_index(t);
            if seen & bit != 0 {
                repeated = true;
            } else {
                seen |= bit;
                key = key * 8 + u64::from(transport_index(t)) + 1;
            }
        }
        if seen == 0 {
            return None;
        }
        let canonical = self.custom.get(&key)?;
        if !repeated {
            return Some(canonical.clone());
        }
        let seq: Vec<Transport> = names
            .split('+')
            .filter_map(|n| self.enabled_transport(n))
            .collect();
        let etag = build_etag(&self.version, &seq);
        Some(Arc::new(Variant::new(
            canonical.content_type,
            canonical.body.clone(),
            etag,
            self.opts,
        )))
    }

    fn enabled_transport(&self, name: &str) -> Option<Transport> {
        self.enabled.iter().copied().find(|t| t.name() == name)
    }

    fn answer(
        &self,
        v: &Variant,
        versioned: bool,
        head: &RequestHead,
        now: u64,
        keep_alive: bool,
    ) -> StaticResponse {
        if self.opts.etag && head.header("if-none-match") == Some(v.etag.as_str()) {
            return StaticResponse {
                head: self.not_modified[usize::from(keep_alive)].clone(),
                body: Bytes::new(),
            };
        }
        let gzip = match &v.body.gzip {
            Some(_) => accepts_gzip(head),
            None => false,
        };
        let head_bytes = if versioned {
            v.versioned_head(now, gzip, keep_alive, self.opts)
        } else {
            v.heads[head_index(gzip, keep_alive)].clone()
        };
        let body = if head.method == Method::Head {
            Bytes::new()
        } else if gzip {
            v.body.gzip.clone().unwrap_or_default()
        } else {
            v.body.plain.clone()
        };
        StaticResponse {
            head: head_bytes,
            body,
        }
    }
}

impl Variant {
    fn new(content_type: &'static str, body: Body, etag: String, opts: HeadOpts) -> Variant {
        let heads = [0, 1, 2, 3].map(|i| {
            let (gzip, keep_alive) = (i >= 2, i % 2 == 1);
            let gzip = gzip && body.gzip.is_some();
            let mut extra: Vec<(&str, &str)> = Vec::with_capacity(3);
            if opts.etag {
                extra.push(("Etag", &etag));
            }
            if gzip {
                extra.push(("Content-Encoding", "gzip"));
                extra.push(("Vary", "Accept-Encoding"));
            }
            format_head(content_type, &body, gzip, &extra, keep_alive)
        });
        Variant {
            content_type,
            body,
            etag,
            heads,
            versioned: Mutex::new(None),
        }
    }

    /// The head of a versioned URL at `now`, from the per-second cache when possible.
    fn versioned_head(&self, now: u64, gzip: bool, keep_alive: bool, opts: HeadOpts) -> Bytes {
        let i = head_index(gzip, keep_alive);
        // Never wait: a contended or poisoned cache just formats the head.
        if let Ok(mut guard) = self.versioned.try_lock() {
            if let Some(cached) = guard.as_ref().filter(|c| c.secs == now) {
                return cached.heads[i].clone();
            }
            let heads = [0, 1, 2, 3].map(|j| self.format_versioned(now, j >= 2, j % 2 == 1, opts));
            let out = heads[i].clone();
            *guard = Some(VersionedHeads { secs: now, heads });
            return out;
        }
        self.format_versioned(now, gzip, keep_alive, opts)
    }

    fn format_versioned(&self, now: u64, gzip: bool, keep_alive: bool, opts: HeadOpts) -> Bytes {
        let gzip = gzip && self.body.gzip.is_some();
        let cache_control = format!("private, x-gzip-ok=\"\", max-age={}", opts.expires);
        let date = http_date(now);
        let expires = http_date(now.saturating_add(opts.expires));
        let mut extra: Vec<(&str, &str)> = vec![
            ("Cache-Control", &cache_control),
            ("Date", &date),
            ("Expires", &expires),
        ];
        if gzip {
            extra.push(("Content-Encoding", "gzip"));
            extra.push(("Vary", "Accept-Encoding"));
        }
        format_head(self.content_type, &self.body, gzip, &extra, keep_alive)
    }
}

fn format_head(
    content_type: &str,
    body: &Body,
    gzip: bool,
    extra: &[(&str, &str)],
    keep_alive: bool,
) -> Bytes {
    let len = match (&body.gzip, gzip) {
        (Some(gz), true) => gz.len(),
        _ => body.plain.len(),
    };
    let mut out = Vec::with_capacity(256);
    write_head(
        &mut out,
        200,
        Some(content_type),
        extra,
        Some(len),
        keep_alive,
    );
    Bytes::from(out)
}

fn not_modified_heads() -> [Bytes; 2] {
    [false, true].map(|ka| {
        let mut out = Vec::with_capacity(64);
        write_response(&mut out, 304, None, &[], b"", ka);
        Bytes::from(out)
    })
}

fn missing_response(what: &str) -> Missing {
    let body = Bytes::from(format!("Static file not available: {what}."));
    let heads = [false, true].map(|ka| {
        let mut out = Vec::with_capacity(128);
        write_head(&mut out, 404, Some(TEXT_PLAIN), &[], Some(body.len()), ka);
        Bytes::from(out)
    });
    Missing { heads, body }
}

/// `404 File not found` (a path that is not static; the router should not send those).
fn not_found(keep_alive: bool) -> StaticResponse {
    let mut out = Vec::with_capacity(96);
    write_head(&mut out, 404, Some(TEXT_PLAIN), &[], Some(14), keep_alive);
    StaticResponse {
        head: Bytes::from(out),
        body: Bytes::from_static(b"File not found"),
    }
}

/// `500 Error serving static {path}` (no Content-Type, as in the reference).
fn server_error(path: &str, keep_alive: bool) -> StaticResponse {
    let body = format!("Error serving static {path}");
    let mut out = Vec::with_capacity(96);
    write_head(&mut out, 500, None, &[], Some(body.len()), keep_alive);
    StaticResponse {
        head: Bytes::from(out),
        body: Bytes::from(body),
    }
}

/// Whether some `Accept-Encoding` value contains `gzip` (ASCII case-insensitive).
fn accepts_gzip(head: &RequestHead) -> bool {
    head.header_all("accept-encoding").any(|v| {
        v.as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"gzip"))
    })
}

/// What a static path asks for, or `None` when it is not one (exact grammar, Q-36).
fn classify(path: &str) -> Option<Kind<'_>> {
    if let Some(i) = SWF_PATHS.iter().position(|p| *p == path) {
        return Some(Kind::Swf(i));
    }
    if path == "/socket.io.js" {
        return Some(Kind::Default { versioned: false });
    }
    if let Some(version) = path
        .strip_prefix("/socket.io.v")
        .and_then(|r| r.strip_suffix(".js"))
    {
        return is_version(version).then_some(Kind::Default { versioned: true });
    }
    let rest = path
        .strip_prefix("/socket.io+")
        .and_then(|r| r.strip_suffix(".js"))?;
    let (names, versioned) = match rest.find('.') {
        None => (rest, false),
        Some(dot) => {
            let version = rest.get(dot..).and_then(|v| v.strip_prefix(".v"))?;
            if !is_version(version) {
                return None;
            }
            (rest.get(..dot)?, true)
        }
    };
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'+';
    if !names.bytes().all(name_char) {
        return None;
    }
    Some(Kind::Custom { names, versioned })
}

/// `\d+\.\d+\.\d+`.
fn is_version(s: &str) -> bool {
    let mut parts = 0;
    for part in s.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        parts += 1;
    }
    parts == 3
}

fn transport_index(t: Transport) -> u8 {
    match t {
        Transport::Websocket => 0,
        Transport::Flashsocket => 1,
        Transport::Htmlfile => 2,
        Transport::XhrPolling => 3,
        Transport::JsonpPolling => 4,
    }
}

/// Key of a sequence of distinct transports (`None` when one repeats).
fn seq_key(seq: impl Iterator<Item = Transport>) -> Option<u64> {
    let mut key = 0u64;
    let mut seen = 0u8;
    for t in seq {
        let bit = 1u8 << transport_index(t);
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        key = key * 8 + u64::from(transport_index(t)) + 1;
    }
    Some(key)
}

/// `transports` without repeats, in order.
fn dedup(ts: &[Transport]) -> Vec<Transport> {
    let mut out = Vec::with_capacity(ts.len());
    for &t in ts {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Every non-empty ordered sequence of distinct transports from `enabled` (at most 325).
fn sequences(enabled: &[Transport]) -> Vec<Vec<Transport>> {
    let mut out = Vec::new();
    let mut stack: Vec<Vec<Transport>> = enabled.iter().map(|&t| vec![t]).collect();
    while let Some(seq) = stack.pop() {
        for &t in enabled {
            if !seq.contains(&t) {
                let mut next = seq.clone();
                next.push(t);
                stack.push(next);
            }
        }
        out.push(seq);
    }
    out
}

/// The reference's build ETag: `{version}:{id}`, `id` being the last decimal digit of the
/// character code of each character of the concatenated transport names.
fn build_etag(version: &str, seq: &[Transport]) -> String {
    let mut etag = String::with_capacity(version.len() + 1 + 64);
    etag.push_str(version);
    etag.push(':');
    for t in seq {
        for c in t.name().chars() {
            let digit = u32::from(c) % 10;
            etag.push(char::from_digit(digit, 10).unwrap_or('0'));
        }
    }
    etag
}

/// Where the package's parts are.
struct Layout {
    root: PathBuf,
    dist: PathBuf,
    lib: PathBuf,
}

impl Layout {
    /// `path` is the package root (with `dist/` inside) or its `dist/` folder itself.
    fn resolve(path: &str) -> Layout {
        let p = PathBuf::from(path);
        let is_dist = !p.join("dist").is_dir()
            && (p.file_name().is_some_and(|n| n == "dist") || p.join("socket.io.js").is_file());
        let root = match (is_dist, p.parent()) {
            (true, Some(parent)) => parent.to_path_buf(),
            _ => p.clone(),
        };
        Layout {
            dist: if is_dist { p } else { root.join("dist") },
            lib: root.join("lib"),
            root,
        }
    }

    /// The client version: `io.version = '…'` in `lib/io.js` (what the reference uses), else
    /// `package.json`'s `version`, else 0.9.16.
    fn version(&self) -> String {
        let from_io = std::fs::read_to_string(self.lib.join("io.js"))
            .ok()
            .and_then(|text| {
                let start = text.find("io.version = '")? + "io.version = '".len();
                let rest = text.get(start..)?;
                let end = rest.find('\'')?;
                rest.get(..end).map(str::to_owned)
            });
        let from_package = || {
            let text = std::fs::read_to_string(self.root.join("package.json")).ok()?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            json.get("version")?.as_str().map(str::to_owned)
        };
        from_io
            .or_else(from_package)
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or_else(|| FALLBACK_VERSION.to_owned())
    }
}

fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// Where JavaScript builds come from.
enum BuildSource {
    /// Assembled from `lib/` (already obfuscated file by file).
    Lib {
        version: String,
        base: Vec<String>,
        transport_files: Vec<String>,
    },
    /// One body for every build (`dist/socket.io.js` or `dist/socket.io.min.js`).
    Fixed(Bytes),
}

impl BuildSource {
    /// Decide how builds are made; `None` when no JavaScript is available at all.
    fn load(
        layout: &Layout,
        version: &str,
        cfg: &Config,
        warnings: &mut Vec<String>,
    ) -> Option<BuildSource> {
        let dist_js_path = layout.dist.join("socket.io.js");
        let dist_js = match read_file(&dist_js_path) {
            Ok(d) => Some(d),
            Err(e) => {
                warnings.push(format!(
                    "browser client: cannot read {}: {e}",
                    dist_js_path.display()
                ));
                None
            }
        };
        if cfg.browser_client_minification {
            let min_path = layout.dist.join("socket.io.min.js");
            match read_file(&min_path) {
                Ok(d) => return Some(BuildSource::Fixed(Bytes::from(d))),
                Err(e) => warnings.push(format!(
                    "browser client: cannot read {} ({e}); `browser client minification` is on \
                     but unminified builds will be served; {INSTALL_HINT}",
                    min_path.display()
                )),
            }
        }
        let lib = match Self::load_lib(layout, version) {
            Ok(lib) => Some(lib),
            Err(why) => {
                warnings.push(format!("browser client: {why}"));
                None
            }
        };
        match (lib, dist_js) {
            (Some(lib), Some(dist)) => {
                let full = lib.assemble(&BUILDER_ORDER);
                if full == dist {
                    Some(lib)
                } else {
                    warnings.push(format!(
                        "browser client: the build assembled from {} differs from {}; serving \
                         dist/socket.io.js (all transports) for every build",
                        layout.lib.display(),
                        dist_js_path.display()
                    ));
                    Some(BuildSource::Fixed(Bytes::from(dist)))
                }
            }
            (Some(lib), None) => {
                warnings.push(
                    "browser client: serving builds assembled from lib/ without the \
                     dist/socket.io.js self-check"
                        .to_owned(),
                );
                Some(lib)
            }
            (None, Some(dist)) => {
                warnings.push(
                    "browser client: serving dist/socket.io.js (all transports) for every build"
                        .to_owned(),
                );
                Some(BuildSource::Fixed(Bytes::from(dist)))
            }
            (None, None) => {
                warnings.push(format!(
                    "browser client: no client build available under {}; /socket.io.js and the \
                     custom builds will answer 404; {INSTALL_HINT}",
                    layout.root.display()
                ));
                None
            }
        }
    }

    fn load_lib(layout: &Layout, version: &str) -> Result<BuildSource, String> {
        let read = |name: &str| -> Result<String, String> {
            let path = layout.lib.join(name);
            let data =
                read_file(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let text = String::from_utf8_lossy(&data);
            obfuscate_active_x(&text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let base = BASE_FILES
            .iter()
            .map(|f| read(f))
            .collect::<Result<Vec<_>, _>>()?;
        let transport_files = TRANSPORT_FILES
            .iter()
            .map(|f| read(f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BuildSource::Lib {
            version: version.to_owned(),
            base,
            transport_files,
        })
    }

    /// The unminified build of `seq` (as the reference builder with `minify: false`).
    fn assemble(&self, seq: &[Transport]) -> Vec<u8> {
        let (version, base, transport_files) = match self {
            BuildSource::Fixed(b) => return b.to_vec(),
            BuildSource::Lib {
                version,
                base,
                transport_files,
            } => (version, base, transport_files),
        };
        let mut code = String::with_capacity(128 * 1024);
        code.push_str("/*! Socket.IO.js build:");
        code.push_str(version);
        code.push_str(
            ", development. Copyright(c) 2011 LearnBoost <dev@learnboost.com> MIT Licensed */\n",
        );
        code.push_str(WRAPPER_PRE);
        for f in base {
            code.push_str(f);
        }
        for i in file_order(seq) {
            if let Some(f) = transport_files.get(i) {
                code.push_str(f);
            }
        }
        code.push_str(WRAPPER_POST);
        strip_node_blocks(&code).into_bytes()
    }

    /// The body of `seq`'s build, shared between sequences with the same files.
    fn body(
        &self,
        seq: &[Transport],
        gzip: bool,
        bodies: &mut HashMap<u64, Body>,
        warnings: &mut Vec<String>,
    ) -> Body {
        let key = match self {
            BuildSource::Fixed(_) => 0,
            BuildSource::Lib { .. } => file_order(seq)
                .into_iter()
                .fold(1u64, |k, i| k * 16 + i as u64 + 1),
        };
        if let Some(b) = bodies.get(&key) {
            return b.clone();
        }
        let plain = match self {
            BuildSource::Fixed(b) => b.clone(),
            BuildSource::Lib { .. } => Bytes::from(self.assemble(seq)),
        };
        let gzip = if gzip {
            match gzip_best(&plain) {
                Ok(gz) => Some(Bytes::from(gz)),
                Err(e) => {
                    warnings.push(format!(
                        "browser client: gzip failed ({e}); serving uncompressed"
                    ));
                    None
                }
            }
        } else {
            None
        };
        let body = Body { plain, gzip };
        bodies.insert(key, body.clone());
        body
    }
}

/// Indices into [`TRANSPORT_FILES`] for `seq`, in the builder's order, each once.
fn file_order(seq: &[Transport]) -> Vec<usize> {
    let mut files = Vec::with_capacity(TRANSPORT_FILES.len());
    for &t in seq {
        for &i in transport_deps(t) {
            if !files.contains(&i) {
                files.push(i);
            }
        }
    }
    files
}

/// gzip at the best level, no file name, mtime 0, OS byte "Unix" (as `gzip -9 -n`).
fn gzip_best(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new().operating_system(3).write(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    enc.write_all(data)?;
    enc.finish()
}

/// The builder's server-code filter: drop every line from one containing `// if node`
/// through the one containing `// end node` (nesting counted as the builder does).
fn strip_node_blocks(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut ignore: i64 = 0;
    let mut first = true;
    for line in code.split('\n') {
        let start = line.contains("// if node");
        let end = line.contains("// end node");
        let mut keep = ignore;
        if start {
            ignore += 1;
            keep = ignore;
        }
        if end {
            ignore -= 1;
        }
        if keep == 0 {
            if !first {
                out.push('\n');
            }
            out.push_str(line);
            first = false;
        }
    }
    out
}

/// What the last significant token allows a `/` to start.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slash {
    Regex,
    Divide,
}

/// Keywords after which a `/` starts a regular expression.
fn keyword_before_expression(word: &str) -> bool {
    matches!(
        word,
        "return"
            | "typeof"
            | "instanceof"
            | "in"
            | "new"
            | "delete"
            | "void"
            | "throw"
            | "case"
            | "do"
            | "else"
    )
}

fn contains_active_x(s: &str) -> bool {
    s.as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"activex"))
}

/// The `active-x-obfuscator` pass the builder applies (so that the served client does not
/// trip proxies that block the word): identifier `ActiveXObject` → `window[…]` (or `[…]`
/// replacing the `.` of a property access), string `'ActiveXObject'` / `'ActiveX'` → an
/// expression building it, and the first `ActiveX` (any case) of a comment → `Ac...eX`. Any
/// other token containing `ActiveX` is an error, as in the reference.
fn obfuscate_active_x(src: &str) -> Result<String, String> {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 64);
    let mut i = 0;
    let mut slash = Slash::Regex;
    // Output position of the last significant token when it was a `.`.
    let mut dot_at: Option<usize> = None;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                out.push(c as char);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                push_comment(&mut out, &src[start..i]);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&b[i + 2..], b"*/")
                    .map(|n| i + 2 + n + 2)
                    .ok_or("unterminated comment")?;
                push_comment(&mut out, &src[start..i]);
                continue;
            }
            b'\'' | b'"' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => return Err("unterminated string".to_owned()),
                        Some(b'\\') => i += 2,
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                let tok = src.get(start..i).ok_or("bad string")?;
                let inner = tok.get(1..tok.len().saturating_sub(1)).unwrap_or("");
                match inner {
                    "ActiveXObject" => out.push_str(OBFUSCATED_ACTIVE_X_OBJECT),
                    "ActiveX" => out.push_str(OBFUSCATED_ACTIVE_X),
                    _ if contains_active_x(tok) => {
                        return Err(format!("unknown ActiveX occurrence in {tok}"))
                    }
                    _ => out.push_str(tok),
                }
                slash = Slash::Divide;
            }
            b'/' if slash == Slash::Regex => {
                i += 1;
                let mut class = false;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => return Err("unterminated regex".to_owned()),
                        Some(b'\\') => i += 2,
                        Some(b'[') => {
                            class = true;
                            i += 1;
                        }
                        Some(b']') => {
                            class = false;
                            i += 1;
                        }
                        Some(b'/') if !class => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                while b.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
                    i += 1;
                }
                let tok = src.get(start..i).ok_or("bad regex")?;
                if contains_active_x(tok) {
                    return Err(format!("unknown ActiveX occurrence in {tok}"));
                }
                out.push_str(tok);
                slash = Slash::Divide;
            }
            b'0'..=b'9' => {
                i += 1;
                while let Some(&d) = b.get(i) {
                    let exp_sign = (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E');
                    if d.is_ascii_alphanumeric() || d == b'.' || exp_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push_str(src.get(start..i).ok_or("bad number")?);
                slash = Slash::Divide;
            }
            _ if c == b'_' || c == b'$' || c.is_ascii_alphabetic() || c >= 0x80 => {
                i += 1;
                while b.get(i).is_some_and(|&d| {
                    d == b'_' || d == b'$' || d.is_ascii_alphanumeric() || d >= 0x80
                }) {
                    i += 1;
                }
                let word = src.get(start..i).ok_or("bad identifier")?;
                if word == "ActiveXObject" {
                    match dot_at {
                        Some(at) => {
                            out.remove(at);
                            out.push('[');
                            out.push_str(OBFUSCATED_ACTIVE_X_OBJECT);
                            out.push(']');
                        }
                        None => {
                            out.push_str("window[");
                            out.push_str(OBFUSCATED_ACTIVE_X_OBJECT);
                            out.push(']');
                        }
                    }
                } else if contains_active_x(word) {
                    return Err(format!("unknown ActiveX occurrence in {word}"));
                } else {
                    out.push_str(word);
                }
                slash = if keyword_before_expression(word) {
                    Slash::Regex
                } else {
                    Slash::Divide
                };
            }
            _ => {
                i += 1;
                dot_at = (c == b'.').then_some(out.len());
                out.push(c as char);
                slash = match c {
                    b')' | b']' => Slash::Divide,
                    _ => Slash::Regex,
                };
                continue;
            }
        }
        dot_at = None;
    }
    Ok(out)
}

/// A comment, with its first `ActiveX` (any case) replaced by `Ac...eX`.
fn push_comment(out: &mut String, comment: &str) {
    let at = comment
        .as_bytes()
        .windows(7)
        .position(|w| w.eq_ignore_ascii_case(b"activex"));
    match at {
        Some(at) => {
            out.push_str(&comment[..at]);
            out.push_str("Ac...eX");
            out.push_str(&comment[at + 7..]);
        }
        None => out.push_str(comment),
    }
}

/// JavaScript's `new Date(secs * 1000).toUTCString()`: `Thu, 01 Jan 1970 00:00:00 GMT`
/// (RFC 1123), `Invalid Date` beyond JavaScript's range.
fn http_date(secs: u64) -> String {
    const JS_MAX_SECS: u64 = 8_640_000_000_000;
    if secs > JS_MAX_SECS {
        return "Invalid Date".to_owned();
    }
    let sod = secs % 86_400;
    let crate::http::handshake_data::UtcDate {
        weekday,
        day,
        month_name,
        year,
    } = crate::http::handshake_data::utc_date(secs / 86_400);
    format!(
        "{weekday}, {day:02} {month_name} {year:04} {:02}:{:02}:{:02} GMT",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::OnceLock;

    const DEFAULT_ETAG: &str = "0.9.16:91851971646982581044521885036510252188503";

    fn req(raw: &str) -> RequestHead {
        let text = format!("{raw}\r\n\r\n");
        crate::http::parse_head(text.as_bytes())
            .expect("valid head")
            .expect("complete head")
    }

    fn get(path: &str) -> RequestHead {
        req(&format!("GET /socket.io{path} HTTP/1.1\r\nHost: x"))
    }

    fn cfg_with(f: impl FnOnce(&mut Config)) -> Config {
        let mut cfg = Config::default();
        f(&mut cfg);
        cfg
    }

    /// The tests read the real package; say how to get it rather than fail obscurely.
    fn require_package() {
        assert!(
            Path::new(DEFAULT_CLIENT_PATH).join("dist").is_dir(),
            "these tests need socket.io-client at {DEFAULT_CLIENT_PATH}: run \
             `npm --prefix conformance ci` first"
        );
    }

    fn load(cfg: &Config) -> Assets {
        require_package();
        let (assets, warnings) = Assets::load(cfg);
        assert!(warnings.is_empty(), "{warnings:?}");
        assets
    }

    /// Default settings, loaded once for the tests that need nothing else.
    fn default_assets() -> &'static Assets {
        static A: OnceLock<Assets> = OnceLock::new();
        A.get_or_init(|| load(&Config::default()))
    }

    fn head_text(r: &StaticResponse) -> String {
        String::from_utf8(r.head.to_vec()).expect("ASCII head")
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.split("\r\n")
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
    }

    fn dist(file: &str) -> Vec<u8> {
        require_package();
        std::fs::read(format!("{DEFAULT_CLIENT_PATH}/dist/{file}")).expect("package installed")
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    #[test]
    fn exact_paths_only() {
        let a = default_assets();
        for p in [
            "/socket.io.js",
            "/socket.io.v0.9.16.js",
            "/socket.io.v1.22.333.js",
            "/socket.io+websocket.js",
            "/socket.io+websocket+xhr-polling.js",
            "/socket.io+websocket+xhr-polling.v0.9.16.js",
            "/socket.io+foo.js",
            "/socket.io+.js",
            "/static/flashsocket/WebSocketMain.swf",
            "/static/flashsocket/WebSocketMainInsecure.swf",
        ] {
            assert!(a.is_static(p), "{p} should be static");
        }
        for p in [
            "",
            "/",
            "/socket.io.jsx",
            "/x/socket.io.js",
            "/1/socket.io.js",
            "/socket.io.min.js",
            "/socket.io.js/",
            "/socket.io.v0.9.js",
            "/socket.io.v0.9.16.jsx",
            "/socket.io.vX.Y.Z.js",
            "/socket.io.v0.9.16.1.js",
            "/socket.io+websocket.min.js",
            "/socket.io+web socket.js",
            "/socket.io+websocket.v0.9.js",
            "/socket.io+websocket",
            "/static/flashsocket/WebSocketMain.swfx",
            "/x/static/flashsocket/WebSocketMain.swf",
            "/static/flashsocket/websocketmain.swf",
        ] {
            assert!(!a.is_static(p), "{p} should not be static");
        }
    }

    #[test]
    fn etag_values() {
        assert_eq!(
            build_etag("0.9.16", &[Transport::Websocket]),
            "0.9.16:918519716"
        );
        assert_eq!(build_etag("0.9.16", &Transport::DEFAULT), DEFAULT_ETAG);

        let a = load(&cfg_with(|c| c.browser_client_etag = true));
        let etag = |path: &str| {
            let r = a.respond(path, &get(path), 0, true);
            header(&head_text(&r), "Etag").map(str::to_owned)
        };
        assert_eq!(etag("/socket.io.js").as_deref(), Some(DEFAULT_ETAG));
        assert_eq!(
            etag("/socket.io+websocket.js").as_deref(),
            Some("0.9.16:918519716")
        );
        assert_eq!(
            etag("/socket.io+websocket+websocket.js").as_deref(),
            Some("0.9.16:918519716918519716")
        );
        assert_eq!(
            etag("/socket.io+foo+websocket++.js").as_deref(),
            Some("0.9.16:918519716")
        );
        assert_eq!(
            etag("/static/flashsocket/WebSocketMain.swf").as_deref(),
            Some("0.9.16")
        );
        // Versioned paths never carry the ETag.
        assert_eq!(etag("/socket.io.v0.9.16.js"), None);
        // Etag off (default): no header.
        let r = default_assets().respond("/socket.io.js", &get("/socket.io.js"), 0, true);
        assert_eq!(header(&head_text(&r), "Etag"), None);
    }

    #[test]
    fn if_none_match_gives_304() {
        let a = load(&cfg_with(|c| c.browser_client_etag = true));
        let h = req(&format!(
            "GET /socket.io/socket.io.js HTTP/1.1\r\nIf-None-Match: {DEFAULT_ETAG}"
        ));
        let r = a.respond("/socket.io.js", &h, 0, true);
        assert_eq!(&r.head[..], b"HTTP/1.1 304 Not Modified\r\n\r\n");
        assert!(r.body.is_empty());
        let r = a.respond("/socket.io.js", &h, 0, false);
        assert_eq!(
            &r.head[..],
            b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n"
        );
        // Versioned paths too (they never send the ETag, but the check is the same).
        let r = a.respond("/socket.io.v0.9.16.js", &h, 0, true);
        assert_eq!(&r.head[..], b"HTTP/1.1 304 Not Modified\r\n\r\n");
        // A different ETag, or etags disabled: 200.
        let other = req("GET / HTTP/1.1\r\nIf-None-Match: 0.9.16:918519716");
        let r = a.respond("/socket.io.js", &other, 0, true);
        assert!(head_text(&r).starts_with("HTTP/1.1 200 OK\r\n"));
        let r = default_assets().respond("/socket.io.js", &h, 0, true);
        assert!(head_text(&r).starts_with("HTTP/1.1 200 OK\r\n"));
        // The SWF files' ETag is the version.
        let h = req("GET / HTTP/1.1\r\nIf-None-Match: 0.9.16");
        let r = a.respond("/static/flashsocket/WebSocketMain.swf", &h, 0, true);
        assert!(head_text(&r).starts_with("HTTP/1.1 304 "));
    }

    #[test]
    fn plain_get_and_head() {
        let a = default_assets();
        let r = a.respond("/socket.io.js", &get("/socket.io.js"), 0, true);
        assert_eq!(
            head_text(&r),
            "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: 74747\r\n\r\n"
        );
        assert_eq!(r.body.len(), 74_747);
        assert!(r.body.starts_with(
            b"/*! Socket.IO.js build:0.9.16, development. Copyright(c) 2011 LearnBoost"
        ));
        let h = req("HEAD /socket.io/socket.io.js HTTP/1.1\r\nHost: x");
        let r2 = a.respond("/socket.io.js", &h, 0, true);
        assert_eq!(r2.head, r.head);
        assert!(r2.body.is_empty());
        let r3 = a.respond("/socket.io.js", &get("/socket.io.js"), 0, false);
        assert!(head_text(&r3).ends_with("Content-Length: 74747\r\nConnection: close\r\n\r\n"));
        // Served from memory: the same bytes every time.
        let r4 = a.respond("/socket.io.js", &get("/socket.io.js"), 5, true);
        assert_eq!(r4.body.as_ptr(), r.body.as_ptr());
        assert_eq!(r4.head.as_ptr(), r.head.as_ptr());

        let swf = a.respond(
            "/static/flashsocket/WebSocketMainInsecure.swf",
            &get("/static/flashsocket/WebSocketMainInsecure.swf"),
            0,
            true,
        );
        assert_eq!(
            head_text(&swf),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-shockwave-flash\r\nContent-Length: 175953\r\n\r\n"
        );
        assert_eq!(&swf.body[..], &dist("WebSocketMainInsecure.swf")[..]);
        let swf = a.respond(
            "/static/flashsocket/WebSocketMain.swf",
            &get("/static/flashsocket/WebSocketMain.swf"),
            0,
            true,
        );
        assert_eq!(swf.body.len(), 175_830);
    }

    #[test]
    fn builds_match_the_reference_builder() {
        let a = default_assets();
        let body = |path: &str| a.respond(path, &get(path), 0, true).body;
        let default = body("/socket.io.js");
        assert_eq!(default.len(), 74_747);
        assert_eq!(body("/socket.io.v0.9.16.js"), default);
        assert_eq!(
            body("/socket.io+websocket+htmlfile+xhr-polling+jsonp-polling.js"),
            default
        );
        assert_eq!(body("/socket.io+websocket.js").len(), 56_495);
        // Same files in the same order: same body.
        assert_eq!(
            body("/socket.io+jsonp-polling+websocket.js"),
            body("/socket.io+jsonp-polling+xhr-polling+websocket.js")
        );
        assert_eq!(body("/socket.io+jsonp-polling+websocket.js").len(), 70_641);
        for b in [&default, &body("/socket.io+htmlfile.js")] {
            let text = std::str::from_utf8(b).expect("UTF-8");
            assert!(!text.to_ascii_lowercase().contains("activex"));
            assert!(text.contains("window[(['Active'].concat('Object').join('X'))]"));
            assert!(!text.contains("// if node"));
            assert!(text.ends_with("\n})();"));
        }
        // All five transports in the builder's order is exactly dist/socket.io.js.
        let all = load(&cfg_with(|c| c.transports = Transport::ALL.to_vec()));
        let full = all
            .respond("/socket.io.js", &get("/socket.io.js"), 0, true)
            .body;
        assert_eq!(&full[..], &dist("socket.io.js")[..]);
        let fs = all
            .respond("/socket.io+flashsocket.js", &get("/"), 0, true)
            .body;
        assert_eq!(fs.len(), 83_058);
    }

    #[test]
    fn minified_build() {
        let a = load(&cfg_with(|c| {
            c.browser_client_minification = true;
            c.browser_client_etag = true;
        }));
        let r = a.respond("/socket.io.js", &get("/socket.io.js"), 0, true);
        assert_eq!(&r.body[..], &dist("socket.io.min.js")[..]);
        assert!(r
            .body
            .starts_with(b"/*! Socket.IO.min.js build:0.9.16, production."));
        assert_eq!(header(&head_text(&r), "Etag"), Some(DEFAULT_ETAG));
        let r = a.respond("/socket.io+websocket.js", &get("/"), 0, true);
        assert_eq!(&r.body[..], &dist("socket.io.min.js")[..]);
    }

    #[test]
    fn gzip_round_trip() {
        let a = load(&cfg_with(|c| {
            c.browser_client_gzip = true;
            c.transports = vec![Transport::Websocket, Transport::XhrPolling];
        }));
        let plain = a.respond("/socket.io.js", &get("/socket.io.js"), 0, true);
        assert_eq!(header(&head_text(&plain), "Content-Encoding"), None);
        assert_eq!(header(&head_text(&plain), "Vary"), None);

        let h = req("GET /socket.io/socket.io.js HTTP/1.1\r\nAccept-Encoding: deflate, GZip");
        let gz = a.respond("/socket.io.js", &h, 0, true);
        let text = head_text(&gz);
        assert_eq!(header(&text, "Content-Encoding"), Some("gzip"));
        assert_eq!(header(&text, "Vary"), Some("Accept-Encoding"));
        let len = gz.body.len().to_string();
        assert_eq!(header(&text, "Content-Length"), Some(len.as_str()));
        assert!(gz.body.len() < plain.body.len() / 2);
        assert_eq!(&gz.body[..3], &[0x1f, 0x8b, 8]);
        assert_eq!(&gz.body[4..8], &[0, 0, 0, 0], "no mtime");
        assert_eq!(gz.body[3] & 0x08, 0, "no file name");
        assert_eq!(gunzip(&gz.body), plain.body.to_vec());
        // Pre-gzipped once: the same bytes for every request.
        let again = a.respond("/socket.io.js", &h, 9, false);
        assert_eq!(again.body.as_ptr(), gz.body.as_ptr());
        // HEAD: gzip head, empty body.
        let hh = req("HEAD /socket.io/socket.io.js HTTP/1.1\r\nAccept-Encoding: gzip");
        let head_only = a.respond("/socket.io.js", &hh, 0, true);
        assert_eq!(head_only.head, gz.head);
        assert!(head_only.body.is_empty());
        // Custom and versioned builds are gzipped too.
        let v = a.respond("/socket.io+websocket.v0.9.16.js", &h, 0, true);
        assert_eq!(header(&head_text(&v), "Content-Encoding"), Some("gzip"));
        let wsb = a.respond("/socket.io+websocket.js", &get("/"), 0, true);
        assert_eq!(gunzip(&v.body), wsb.body.to_vec());
        // SWF files never.
        let swf = a.respond("/static/flashsocket/WebSocketMain.swf", &h, 0, true);
        assert_eq!(header(&head_text(&swf), "Content-Encoding"), None);
        assert_eq!(&swf.body[..], &dist("WebSocketMain.swf")[..]);
        // gzip off: never gzipped even when accepted.
        let r = default_assets().respond("/socket.io.js", &h, 0, true);
        assert_eq!(header(&head_text(&r), "Content-Encoding"), None);
    }

    #[test]
    fn versioned_headers() {
        let a = default_assets();
        let h = get("/socket.io.v0.9.16.js");
        let r = a.respond("/socket.io.v0.9.16.js", &h, 1_700_000_000, true);
        assert_eq!(
            head_text(&r),
            "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: 74747\r\n\
             Cache-Control: private, x-gzip-ok=\"\", max-age=315360000\r\n\
             Date: Tue, 14 Nov 2023 22:13:20 GMT\r\nExpires: Fri, 11 Nov 2033 22:13:20 GMT\r\n\r\n"
        );
        // Formatted once per second.
        let again = a.respond("/socket.io.v0.9.16.js", &h, 1_700_000_000, true);
        assert_eq!(again.head.as_ptr(), r.head.as_ptr());
        let later = a.respond("/socket.io.v1.0.0.js", &h, 1_700_000_001, false);
        let text = head_text(&later);
        assert_eq!(header(&text, "Date"), Some("Tue, 14 Nov 2023 22:13:21 GMT"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));

        let b = load(&cfg_with(|c| c.browser_client_expires = 60));
        let r = b.respond("/socket.io+websocket.v0.9.16.js", &h, 0, true);
        let text = head_text(&r);
        assert_eq!(
            header(&text, "Cache-Control"),
            Some("private, x-gzip-ok=\"\", max-age=60")
        );
        assert_eq!(header(&text, "Date"), Some("Thu, 01 Jan 1970 00:00:00 GMT"));
        assert_eq!(
            header(&text, "Expires"),
            Some("Thu, 01 Jan 1970 00:01:00 GMT")
        );
        assert_eq!(r.body.len(), 56_495);
        // Unversioned paths have none of these.
        let r = b.respond("/socket.io+websocket.js", &h, 0, true);
        assert_eq!(header(&head_text(&r), "Cache-Control"), None);
        assert_eq!(header(&head_text(&r), "Date"), None);
    }

    #[test]
    fn http_dates_as_javascript() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(315_360_000), "Sun, 30 Dec 1979 00:00:00 GMT");
        assert_eq!(http_date(951_868_799), "Tue, 29 Feb 2000 23:59:59 GMT");
        assert_eq!(http_date(253_402_300_799), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(
            http_date(8_640_000_000_000),
            "Sat, 13 Sep 275760 00:00:00 GMT"
        );
        assert_eq!(http_date(8_640_000_000_001), "Invalid Date");
        assert_eq!(http_date(u64::MAX), "Invalid Date");
    }

    #[test]
    fn custom_build_without_valid_transport_is_500() {
        let a = default_assets();
        for path in [
            "/socket.io+foo.js",
            "/socket.io+.js",
            "/socket.io+flashsocket.js",
            "/socket.io+WebSocket.v0.9.16.js",
        ] {
            let r = a.respond(path, &get(path), 0, true);
            let body = format!("Error serving static {path}");
            assert_eq!(
                head_text(&r),
                format!(
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
            );
            assert_eq!(&r.body[..], body.as_bytes());
        }
        // flashsocket once enabled.
        let mut ts = Transport::DEFAULT.to_vec();
        ts.push(Transport::Flashsocket);
        let b = load(&cfg_with(|c| c.transports = ts));
        let r = b.respond("/socket.io+flashsocket.js", &get("/"), 0, true);
        assert_eq!(r.body.len(), 83_058);
        // No transports at all: every custom build is a 500.
        let c = load(&cfg_with(|c| c.transports = Vec::new()));
        let r = c.respond("/socket.io+websocket.js", &get("/"), 0, true);
        assert!(head_text(&r).starts_with("HTTP/1.1 500 "));
    }

    #[test]
    fn missing_package_warns_and_404s() {
        let cfg = cfg_with(|c| c.browser_client_path = Some("/nonexistent/sio09-no-client".into()));
        let (a, warnings) = Assets::load(&cfg);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("/nonexistent/sio09-no-client"));
        assert!(warnings[0].contains("npm --prefix conformance ci"));
        for path in [
            "/socket.io.js",
            "/socket.io.v0.9.16.js",
            "/socket.io+websocket.js",
            "/socket.io+foo.js",
            "/static/flashsocket/WebSocketMain.swf",
        ] {
            assert!(a.is_static(path));
            let r = a.respond(path, &get(path), 0, true);
            let text = head_text(&r);
            assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
            let len = r.body.len().to_string();
            assert_eq!(header(&text, "Content-Length"), Some(len.as_str()));
            assert!(std::str::from_utf8(&r.body)
                .expect("text")
                .contains("not installed"));
            let h = req("HEAD /socket.io/socket.io.js HTTP/1.1");
            assert!(a.respond(path, &h, 0, false).body.is_empty());
        }
    }

    /// A scratch copy of parts of the package.
    fn partial_package(name: &str, files: &[&str]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sio09-assets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in files {
            let to = dir.join(f);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(format!("{DEFAULT_CLIENT_PATH}/{f}"), &to).expect("copy");
        }
        dir
    }

    #[test]
    fn missing_files_fall_back() {
        // No lib/, no WebSocketMain.swf: builds are dist/socket.io.js, that SWF is a 404.
        let dir = partial_package(
            "partial",
            &[
                "dist/socket.io.js",
                "dist/WebSocketMainInsecure.swf",
                "package.json",
            ],
        );
        let cfg = cfg_with(|c| c.browser_client_path = Some(dir.display().to_string()));
        let (a, warnings) = Assets::load(&cfg);
        assert!(warnings.iter().any(|w| w.contains("WebSocketMain.swf")));
        assert!(warnings.iter().any(|w| w.contains("lib")));
        assert_eq!(a.version(), "0.9.16");
        let r = a.respond("/socket.io+websocket.js", &get("/"), 0, true);
        assert_eq!(&r.body[..], &dist("socket.io.js")[..]);
        let p = "/static/flashsocket/WebSocketMain.swf";
        let r = a.respond(p, &get(p), 0, true);
        assert!(head_text(&r).starts_with("HTTP/1.1 404 "));
        assert!(std::str::from_utf8(&r.body)
            .expect("text")
            .contains("WebSocketMain.swf"));
        let p = "/static/flashsocket/WebSocketMainInsecure.swf";
        assert_eq!(a.respond(p, &get(p), 0, true).body.len(), 175_953);

        // `browser client path` may name the dist/ folder itself.
        let cfg = cfg_with(|c| c.browser_client_path = Some(format!("{DEFAULT_CLIENT_PATH}/dist")));
        let a = load(&cfg);
        let r = a.respond("/socket.io.js", &get("/"), 0, true);
        assert_eq!(r.body.len(), 74_747);

        // Minification on but no min file: unminified builds with a warning.
        let cfg = cfg_with(|c| {
            c.browser_client_path = Some(dir.display().to_string());
            c.browser_client_minification = true;
        });
        let (a, warnings) = Assets::load(&cfg);
        assert!(warnings.iter().any(|w| w.contains("socket.io.min.js")));
        let r = a.respond("/socket.io.js", &get("/"), 0, true);
        assert_eq!(&r.body[..], &dist("socket.io.js")[..]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn browser_client_disabled_loads_nothing() {
        let (a, warnings) = Assets::load(&cfg_with(|c| c.browser_client = false));
        assert!(warnings.is_empty());
        assert!(a.is_static("/socket.io.js"));
        let r = a.respond("/socket.io.js", &get("/"), 0, true);
        assert!(head_text(&r).starts_with("HTTP/1.1 404 "));
    }

    #[test]
    fn handler_answers_everything() {
        let mut a = load(&Config::default());
        let handler: ClientHandler = Arc::new(|path, head, keep_alive| StaticResponse {
            head: Bytes::from(format!(
                "HTTP/1.1 200 OK\r\nX-Path: {path}\r\nX-Method: {}\r\nX-Ka: {keep_alive}\r\n\r\n",
                head.method.as_str()
            )),
            body: Bytes::from_static(b"mine"),
        });
        a.set_handler(Some(handler));
        let r = a.respond("/socket.io+nothing.js", &get("/"), 0, false);
        assert_eq!(
            &r.head[..],
            b"HTTP/1.1 200 OK\r\nX-Path: /socket.io+nothing.js\r\nX-Method: GET\r\nX-Ka: false\r\n\r\n"
        );
        assert_eq!(&r.body[..], b"mine");
        a.set_handler(None);
        let r = a.respond("/socket.io.js", &get("/"), 0, false);
        assert_eq!(r.body.len(), 74_747);
    }

    #[test]
    fn obfuscation_rules() {
        let ok = |s: &str| obfuscate_active_x(s).expect("obfuscates");
        assert_eq!(
            ok("var a = new ActiveXObject('x');"),
            "var a = new window[(['Active'].concat('Object').join('X'))]('x');"
        );
        assert_eq!(
            ok("if (typeof O.ActiveXObject!=D)"),
            "if (typeof O[(['Active'].concat('Object').join('X'))]!=D)"
        );
        assert_eq!(
            ok("'ActiveXObject' in w; \"ActiveX\""),
            "(['Active'].concat('Object').join('X')) in w; (['Active'].concat('').join('X'))"
        );
        assert_eq!(
            ok("/* an ActiveX and activex */ // ACTIVEX here\nx"),
            "/* an Ac...eX and activex */ // Ac...eX here\nx"
        );
        assert_eq!(
            ok("a = /'\"[/]/g.test(b) / 2; // x"),
            "a = /'\"[/]/g.test(b) / 2; // x"
        );
        assert_eq!(ok("return /ab/i"), "return /ab/i");
        assert!(obfuscate_active_x("var isActiveX = 1;").is_err());
        assert!(obfuscate_active_x("'an ActiveX thing'").is_err());
        assert!(obfuscate_active_x("'unterminated").is_err());
        assert!(obfuscate_active_x("/* open").is_err());
    }

    #[test]
    fn node_blocks_are_stripped() {
        assert_eq!(
            strip_node_blocks("a\n  // if node\nb\n  // end node\nc\n"),
            "a\nc\n"
        );
        assert_eq!(strip_node_blocks("x"), "x");
    }

    proptest::proptest! {
        #[test]
        fn any_path_any_head_never_panics(
            path in "(/socket\\.io[.+v0-9a-z-]{0,20}(\\.js)?|[ -~]{0,30}|\\PC{0,10})",
            ae in "[ -~]{0,20}",
            inm in "[ -~]{0,20}",
        ) {
            let a = default_assets();
            let raw = format!(
                "GET / HTTP/1.1\r\nAccept-Encoding: {ae}\r\nIf-None-Match: {inm}"
            );
            let h = match crate::http::parse_head(format!("{raw}\r\n\r\n").as_bytes()) {
                Ok(Some(h)) => h,
                _ => req("GET / HTTP/1.1"),
            };
            let is_static = a.is_static(&path);
            let r = a.respond(&path, &h, 1_700_000_000, true);
            let text = head_text(&r);
            proptest::prop_assert!(text.starts_with("HTTP/1.1 "));
            if !is_static {
                proptest::prop_assert!(text.starts_with("HTTP/1.1 404 "));
            }
        }
    }
}
