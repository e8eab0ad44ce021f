//! Logging in the socket.io 0.9 format (PROTOCOL.md §9) on top of `tracing`.
//!
//! sio09 code logs with the ordinary `tracing` macros (`tracing::info!("socket.io started")`).
//! The layer from [`init`] / [`layer_with_writer`] prints the events whose target belongs to
//! this crate (`sio09`, `sio09::…`, and sibling crates `sio09_…` such as the FFI crate) as
//! 0.9 log lines:
//!
//! - with colours: `   \x1b[36minfo  -\x1b[39m socket.io started`
//! - without: `info: socket.io started`
//!
//! `tracing` levels map to 0.9 levels: ERROR → error, WARN → warn, INFO → info, DEBUG and
//! TRACE → debug. The line is the event's `message` followed by its other fields as
//! ` key=value`.
//!
//! The 0.9 settings `log`, `log level` and `log colors` live in process-wide atomics
//! ([`set_enabled`], [`set_level`], [`set_colors`]) that the layer reads on every event, so a
//! change applies at once. A line of level L is printed iff logging is enabled and
//! L ≤ `log level`; level 0 prints errors (PROTOCOL.md Q-37; the reference printed nothing).
//! Disabled events are filtered before any formatting: the layer's per-layer filter reports a
//! maximum level to `tracing`, so a disabled `debug!` costs one comparison at the call site.
//!
//! This module is a leaf: it depends on no other sio09 module.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::Registry;

/// A socket.io 0.9 log level (option `log level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// 0: errors.
    Error = 0,
    /// 1: warnings.
    Warn = 1,
    /// 2: information.
    Info = 2,
    /// 3: debugging detail.
    Debug = 3,
}

impl Level {
    /// The name printed in log lines: `error`, `warn`, `info`, `debug`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// The ANSI foreground colour code: error 31, warn 33, info 36, debug 90.
    pub fn color_code(self) -> &'static str {
        match self {
            Level::Error => "31",
            Level::Warn => "33",
            Level::Info => "36",
            Level::Debug => "90",
        }
    }

    /// The 0.9 level of a `tracing` level (DEBUG and TRACE are both `debug`).
    pub fn from_tracing(level: &tracing::Level) -> Level {
        match *level {
            tracing::Level::ERROR => Level::Error,
            tracing::Level::WARN => Level::Warn,
            tracing::Level::INFO => Level::Info,
            _ => Level::Debug,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Appends one 0.9 log line for `msg` to `out`, without the trailing newline.
///
/// With colours: three spaces, `ESC[{colour}m`, the level name right-padded to 5 characters,
/// ` -`, `ESC[39m`, a space, the message (`   \x1b[36minfo  -\x1b[39m socket.io started`).
/// Without colours: `{level}: {msg}` (`info: socket.io started`).
pub fn format_line(level: Level, colors: bool, msg: &str, out: &mut String) {
    if colors {
        out.push_str("   \x1b[");
        out.push_str(level.color_code());
        out.push('m');
        let name = level.name();
        out.push_str(name);
        for _ in name.len()..5 {
            out.push(' ');
        }
        out.push_str(" -\x1b[39m ");
    } else {
        out.push_str(level.name());
        out.push_str(": ");
    }
    out.push_str(msg);
}

static ENABLED: AtomicBool = AtomicBool::new(true);
static LEVEL: AtomicU8 = AtomicU8::new(Level::Debug as u8);
const COLORS_OFF: u8 = 0;
const COLORS_ON: u8 = 1;
const COLORS_AUTO: u8 = 2;
static COLORS: AtomicU8 = AtomicU8::new(COLORS_AUTO);

/// Sets `log level`: lines of level ≤ `level` are printed (0 errors only … 3 everything;
/// values above 3 mean 3).
pub fn set_level(level: u8) {
    let level = level.min(Level::Debug as u8);
    if LEVEL.swap(level, Ordering::Relaxed) != level {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Sets `log colors`. Until called, colours are on iff stdout is a terminal.
pub fn set_colors(on: bool) {
    COLORS.store(if on { COLORS_ON } else { COLORS_OFF }, Ordering::Relaxed);
}

/// Sets `log`, the master switch.
pub fn set_enabled(on: bool) {
    if ENABLED.swap(on, Ordering::Relaxed) != on {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Applies the three 0.9 settings `log`, `log level` and `log colors` at once.
pub fn apply_settings(log: bool, log_level: u8, log_colors: bool) {
    set_colors(log_colors);
    let level = log_level.min(Level::Debug as u8);
    let changed = (ENABLED.swap(log, Ordering::Relaxed) != log)
        | (LEVEL.swap(level, Ordering::Relaxed) != level);
    if changed {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Whether a line of `level` is printed now: logging enabled and `level` ≤ `log level`
/// (so level 0 prints errors, PROTOCOL.md Q-37).
pub fn enabled(level: Level) -> bool {
    ENABLED.load(Ordering::Relaxed) && (level as u8) <= LEVEL.load(Ordering::Relaxed)
}

/// Whether coloured output is on now.
pub fn colors() -> bool {
    match COLORS.load(Ordering::Relaxed) {
        COLORS_ON => true,
        COLORS_OFF => false,
        _ => {
            let on = std::io::stdout().is_terminal();
            // Only resolve "auto"; never overwrite an explicit set_colors made meanwhile.
            let _ = COLORS.compare_exchange(
                COLORS_AUTO,
                if on { COLORS_ON } else { COLORS_OFF },
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            on
        }
    }
}

/// The most verbose `tracing` level currently printed.
fn current_level_filter() -> LevelFilter {
    if !ENABLED.load(Ordering::Relaxed) {
        return LevelFilter::OFF;
    }
    match LEVEL.load(Ordering::Relaxed) {
        0 => LevelFilter::ERROR,
        1 => LevelFilter::WARN,
        2 => LevelFilter::INFO,
        _ => LevelFilter::TRACE,
    }
}

/// The name of the crate this module is compiled into (`sio09`).
fn crate_root() -> &'static str {
    let path: &'static str = module_path!();
    match path.find("::") {
        Some(i) => &path[..i],
        None => path,
    }
}

/// Whether `target` belongs to this crate or a sibling crate named `{crate}_…`.
fn is_our_target(target: &str) -> bool {
    match target.strip_prefix(crate_root()) {
        Some(rest) => rest.is_empty() || rest.starts_with("::") || rest.starts_with('_'),
        None => false,
    }
}

/// Per-layer filter: our crate's events at the current level; never spans.
struct ZeroNineFilter;

impl<S> Filter<S> for ZeroNineFilter {
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        meta.is_event()
            && enabled(Level::from_tracing(meta.level()))
            && is_our_target(meta.target())
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.is_event() && is_our_target(meta.target()) {
            // The level can change at runtime, so ask again per event (a cheap atomic check).
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(current_level_filter())
    }
}

/// Where finished lines go.
trait LineSink: Send + Sync + 'static {
    fn write_line(&self, line: &[u8]);
}

struct StdoutSink;

impl LineSink for StdoutSink {
    fn write_line(&self, line: &[u8]) {
        // One lock and one write per line; errors (closed stdout) are ignored.
        let _ = std::io::stdout().lock().write_all(line);
    }
}

struct WriterSink<W>(Mutex<W>);

impl<W: Write + Send + 'static> LineSink for WriterSink<W> {
    fn write_line(&self, line: &[u8]) {
        let mut w = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = w.write_all(line);
        let _ = w.flush();
    }
}

/// Collects an event's `message` and other fields.
struct FieldVisitor<'a> {
    message: &'a mut String,
    extra: &'a mut String,
}

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.extra, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.extra, " {}={:?}", field.name(), value);
        }
    }
}

#[derive(Default)]
struct Scratch {
    message: String,
    extra: String,
    line: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Longest scratch buffer kept between events, so one huge line does not pin memory.
const SCRATCH_KEEP: usize = 16 * 1024;

fn render(event: &Event<'_>, s: &mut Scratch) {
    s.message.clear();
    s.extra.clear();
    s.line.clear();
    event.record(&mut FieldVisitor {
        message: &mut s.message,
        extra: &mut s.extra,
    });
    s.message.push_str(&s.extra);
    format_line(
        Level::from_tracing(event.metadata().level()),
        colors(),
        &s.message,
        &mut s.line,
    );
    s.line.push('\n');
}

/// The layer: formats each admitted event as one 0.9 line and hands it to its sink.
struct ZeroNineLayer<K> {
    sink: K,
}

impl<K: LineSink, S: Subscriber> Layer<S> for ZeroNineLayer<K> {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let written = SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut guard) => {
                let s = &mut *guard;
                render(event, s);
                self.sink.write_line(s.line.as_bytes());
                for buf in [&mut s.message, &mut s.extra, &mut s.line] {
                    if buf.capacity() > SCRATCH_KEEP {
                        *buf = String::new();
                    }
                }
                true
            }
            // Re-entered (a field's Debug impl logged): use fresh buffers below.
            Err(_) => false,
        });
        if !written {
            let mut s = Scratch::default();
            render(event, &mut s);
            self.sink.write_line(s.line.as_bytes());
        }
    }
}

fn make_layer<K: LineSink>(sink: K) -> impl Layer<Registry> + Send + Sync {
    ZeroNineLayer { sink }.with_filter(ZeroNineFilter)
}

/// Installs, as the global `tracing` subscriber, a registry with the 0.9-format layer writing
/// to stdout. Idempotent: later calls do nothing. If another global subscriber was installed
/// first, that one stays and this does nothing.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber = Registry::default().with(make_layer(StdoutSink));
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// For tests and embedders: the 0.9-format layer writing each line (with its `\n`) to `w`
/// in one `write_all`, followed by a flush.
pub fn layer_with_writer<W: std::io::Write + Send + 'static>(
    w: W,
) -> impl tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync {
    make_layer(WriterSink(Mutex::new(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, MutexGuard};

    /// The settings are process-wide: tests that change them run one at a time.
    static SETTINGS: Mutex<()> = Mutex::new(());

    fn lock() -> MutexGuard<'static, ()> {
        SETTINGS.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[derive(Clone, Default)]
    struct SharedBuf(Arc<Mutex<Vec<u8>>>);

    impl Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl SharedBuf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn line(level: Level, colors: bool, msg: &str) -> String {
        let mut out = String::new();
        format_line(level, colors, msg, &mut out);
        out
    }

    #[test]
    fn format_line_with_colors_is_byte_exact() {
        assert_eq!(
            line(Level::Error, true, "boom"),
            "   \x1b[31merror -\x1b[39m boom"
        );
        assert_eq!(
            line(
                Level::Warn,
                true,
                "client not handshaken client should reconnect"
            ),
            "   \x1b[33mwarn  -\x1b[39m client not handshaken client should reconnect"
        );
        assert_eq!(
            line(Level::Info, true, "socket.io started"),
            "   \x1b[36minfo  -\x1b[39m socket.io started"
        );
        assert_eq!(
            line(Level::Debug, true, "got heartbeat packet"),
            "   \x1b[90mdebug -\x1b[39m got heartbeat packet"
        );
    }

    #[test]
    fn format_line_without_colors_is_byte_exact() {
        assert_eq!(line(Level::Error, false, "boom"), "error: boom");
        assert_eq!(
            line(
                Level::Warn,
                false,
                "client not handshaken client should reconnect"
            ),
            "warn: client not handshaken client should reconnect"
        );
        assert_eq!(
            line(Level::Info, false, "socket.io started"),
            "info: socket.io started"
        );
        assert_eq!(
            line(Level::Debug, false, "got heartbeat packet"),
            "debug: got heartbeat packet"
        );
        assert_eq!(line(Level::Info, false, ""), "info: ");
    }

    #[test]
    fn format_line_appends() {
        let mut out = String::from("x");
        format_line(Level::Info, false, "a", &mut out);
        assert_eq!(out, "xinfo: a");
    }

    #[test]
    fn tracing_levels_map_to_09_levels() {
        assert_eq!(Level::from_tracing(&tracing::Level::ERROR), Level::Error);
        assert_eq!(Level::from_tracing(&tracing::Level::WARN), Level::Warn);
        assert_eq!(Level::from_tracing(&tracing::Level::INFO), Level::Info);
        assert_eq!(Level::from_tracing(&tracing::Level::DEBUG), Level::Debug);
        assert_eq!(Level::from_tracing(&tracing::Level::TRACE), Level::Debug);
        assert!(Level::Error < Level::Debug);
    }

    #[test]
    fn enabled_follows_level_and_master_switch() {
        let _g = lock();
        apply_settings(true, 0, false);
        // level 0 prints errors.
        assert!(enabled(Level::Error));
        assert!(!enabled(Level::Warn));
        set_level(2);
        assert!(enabled(Level::Info));
        assert!(!enabled(Level::Debug));
        set_level(9);
        assert!(enabled(Level::Debug));
        set_enabled(false);
        assert!(!enabled(Level::Error));
        set_enabled(true);
        set_colors(true);
        assert!(colors());
        set_colors(false);
        assert!(!colors());
        apply_settings(true, 3, false);
    }

    #[test]
    fn targets_of_this_crate_only() {
        let root = crate_root();
        assert!(!root.is_empty() && !root.contains(':'));
        assert!(is_our_target(root));
        assert!(is_our_target(&format!("{root}::server::socket")));
        assert!(is_our_target(&format!("{root}_ffi")));
        assert!(!is_our_target(&format!("{root}x")));
        assert!(!is_our_target("hyper::proto"));
    }

    fn capture(f: impl FnOnce()) -> String {
        let buf = SharedBuf::default();
        let subscriber = Registry::default().with(layer_with_writer(buf.clone()));
        tracing::subscriber::with_default(subscriber, f);
        buf.text()
    }

    #[test]
    fn layer_writes_09_lines_and_filters_by_level() {
        let _g = lock();
        apply_settings(true, 3, false);
        let out = capture(|| {
            tracing::info!("socket.io started");
            tracing::warn!("illegal origin: {}", "http://evil.example");
            tracing::debug!(sid = "abc123", "set heartbeat interval for client");
            tracing::trace!("a trace line is debug");
            tracing::error!(code = 7, "boom");
            tracing::info!(target: "someone_else", "not ours");
        });
        assert_eq!(
            out,
            "info: socket.io started\n\
             warn: illegal origin: http://evil.example\n\
             debug: set heartbeat interval for client sid=abc123\n\
             debug: a trace line is debug\n\
             error: boom code=7\n"
        );

        apply_settings(true, 1, false);
        let out = capture(|| {
            tracing::error!("e");
            tracing::warn!("w");
            tracing::info!("i");
            tracing::debug!("d");
        });
        assert_eq!(out, "error: e\nwarn: w\n");

        // level 0 prints errors only.
        set_level(0);
        let out = capture(|| {
            tracing::error!("e");
            tracing::warn!("w");
        });
        assert_eq!(out, "error: e\n");

        // A change applies at once, within one subscriber's lifetime.
        let out = capture(|| {
            tracing::info!("hidden");
            set_level(2);
            tracing::info!("shown");
            set_enabled(false);
            tracing::error!("hidden too");
            set_enabled(true);
            set_colors(true);
            tracing::info!("socket.io started");
        });
        assert_eq!(
            out,
            "info: shown\n   \x1b[36minfo  -\x1b[39m socket.io started\n"
        );
        apply_settings(true, 3, false);
    }

    #[test]
    fn reentrant_logging_does_not_panic() {
        struct Noisy;
        impl fmt::Debug for Noisy {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                tracing::info!("inner");
                f.write_str("noisy")
            }
        }
        let _g = lock();
        apply_settings(true, 3, false);
        let out = capture(|| tracing::info!(v = ?Noisy, "outer"));
        // tracing drops events raised while it is dispatching; the outer line is intact.
        assert!(out.ends_with("info: outer v=noisy\n"), "{out:?}");
    }

    #[test]
    fn init_is_idempotent() {
        init();
        init();
    }
}
