//! The standalone sio09 server.
//!
//! `sio09 [--port N] [--host ADDR] [--config FILE] [--app demo|test]`; every 0.9 option
//! can also come from the environment as `SIO_` + its name upper-cased with spaces as
//! underscores (`SIO_HEARTBEAT_INTERVAL=2`, `SIO_TRANSPORTS=websocket,xhr-polling`).
//! Precedence: defaults < config file < environment. Stops on SIGINT/SIGTERM.
//! With `tls cert` and `tls key` (PEM files) every connection on the port is TLS.

use clap::{Parser, ValueEnum};
use sio09::{Config, Server};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum App {
    /// A chat relay with rooms (the default).
    Demo,
    /// The conformance/benchmark test app (TEST-APP.md).
    Test,
}

/// A Socket.IO 0.9 server (protocol revision 1), wire-compatible with socket.io 0.9.19.
#[derive(Parser, Debug)]
#[command(version, about, after_help = TLS_HELP)]
struct Cli {
    /// TCP port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Address to listen on (default: 0.0.0.0; 127.0.0.1 for the test app).
    #[arg(long)]
    host: Option<IpAddr>,
    /// TOML file whose keys are the 0.9 option names, e.g. `"heartbeat interval" = 10`.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Which built-in application to run.
    #[arg(long, value_enum, default_value_t = App::Demo)]
    app: App,
}

/// The `--help` epilogue: how to serve https and wss.
const TLS_HELP: &str = "Options: every socket.io 0.9 option by its name, in the --config file or \
as SIO_<NAME> in the environment (e.g. SIO_HEARTBEAT_INTERVAL=10).\n\n\
TLS (https, wss): set `tls cert` (PEM certificate chain, leaf first) and `tls key` (PEM \
private key), both or neither, e.g. `\"tls cert\" = \"cert.pem\"` in the config file or \
SIO_TLS_CERT=cert.pem SIO_TLS_KEY=key.pem; every connection on the port is then TLS.";

/// Options parsed and validated now whose machinery a later milestone builds.
const INACTIVE: &[&str] = &["match origin protocol"];

/// Start-up notices for features that are on by default but whose machinery a later
/// milestone builds, so an operator is never surprised by a silent gap.
fn inactive_notices(_cfg: &Config) -> Vec<String> {
    // Every default feature is built; the hook stays for the next one that is not.
    Vec::new()
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let mut cfg = Config::default();
    if let Some(path) = &cli.config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        cfg.apply_toml(&text)
            .map_err(|e| format!("config file {}: {e}", path.display()))?;
    }
    cfg.apply_env(std::env::vars().filter(|(k, _)| k.starts_with("SIO_")))
        .map_err(|e| format!("environment: {e}"))?;
    Ok(cfg)
}

fn block_signals() -> libc::sigset_t {
    // SAFETY: plain libc calls on a local, zero-initialised signal set; blocking the
    // signals here (before any thread starts) makes every thread inherit the mask, so
    // only `sigwait` below receives them.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

fn wait_for_signal(set: &libc::sigset_t) -> i32 {
    let mut sig: libc::c_int = 0;
    // SAFETY: `set` is a valid signal set; `sig` is a valid out-pointer.
    unsafe {
        libc::sigwait(set, &mut sig);
    }
    sig
}

/// Keep transparent huge pages out of this process. mimalloc asks for huge pages on the
/// arenas it commits eagerly, so resident memory grows in 2 MiB steps: with many small
/// long-lived allocations (idle sessions) that is about 1.5 KiB more per session and
/// 12 MiB more at start (measured: 4.08 vs 2.54 KiB per idle websocket session) for no
/// measurable speed-up. Set before anything large is faulted in; a no-op elsewhere.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes a
    // flag of this process; a failure (old kernel) leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    let cfg = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sio09: {e}");
            return ExitCode::from(2);
        }
    };
    sio09::log::set_enabled(cfg.log);
    sio09::log::set_level(cfg.log_level);
    sio09::log::set_colors(cfg.log_colors);
    sio09::log::init();
    for w in cfg.warnings(INACTIVE) {
        tracing::warn!("{w}");
    }
    for n in inactive_notices(&cfg) {
        tracing::warn!("{n}");
    }
    let host = cli.host.unwrap_or(match cli.app {
        App::Test => IpAddr::from([127, 0, 0, 1]),
        App::Demo => IpAddr::from([0, 0, 0, 0]),
    });
    // The `store` option (memory, or a Redis URL) is applied by `listen`.
    let mut io = Server::with_config(cfg);
    match cli.app {
        App::Test => sio09::apps::test_app::install(&mut io),
        App::Demo => sio09::apps::chat::install(&mut io),
    }
    let signals = block_signals();
    let handle = match io.listen(SocketAddr::new(host, cli.port)) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("sio09: cannot start on {host}:{}: {e}", cli.port);
            return ExitCode::from(1);
        }
    };
    println!("READY {}", handle.local_addr().port());
    let sig = wait_for_signal(&signals);
    tracing::info!("signal {sig} received, shutting down");
    handle.shutdown();
    handle.wait();
    ExitCode::SUCCESS
}
