//! The command line of `sio09-loadgen` and the target URL check (loopback only).

use crate::plan::Scenario;
use clap::Parser;
use std::net::{SocketAddr, ToSocketAddrs};

/// Which monoio driver the generator threads use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Driver {
    /// io_uring, falling back to epoll when the kernel refuses it.
    Auto,
    /// io_uring only.
    Uring,
    /// epoll only.
    Legacy,
}

/// Command line.
#[derive(Parser, Debug)]
#[command(
    name = "sio09-loadgen",
    about = "End-to-end load generator for Socket.IO 0.9 servers (test app)",
    args_override_self = true
)]
pub struct Cli {
    /// Server base URL (loopback), e.g. http://127.0.0.1:9000
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    pub url: String,
    /// More nodes of the same cluster (repeatable): clients are spread round-robin over
    /// `--url` and these (client 0, the broadcast sender, on `--url`).
    #[arg(long = "also-url")]
    pub also_url: Vec<String>,
    /// Scenario to run.
    #[arg(long, value_enum, default_value_t = Scenario::Echo)]
    pub scenario: Scenario,
    /// Number of clients (websocket sessions; poll: polling sessions; static: connections;
    /// storm: unused).
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// echo/ack/poll: events in flight per client.
    #[arg(long, default_value_t = 1)]
    pub inflight: usize,
    /// Measured window in seconds (at most 3600).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before the measured window (not counted).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// broadcast: messages per second the sender emits to the room; storm: connects per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Server process to sample (CPU time of all its threads, RSS) around the window.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Spread client sockets over source addresses 127.0.0.1 ..= 127.0.0.N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=254))]
    pub sources: u8,
    /// Generator threads (one monoio runtime each).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Connections set up concurrently per thread.
    #[arg(long, default_value_t = 100)]
    pub connect_batch: usize,
    /// Give up when the clients are not all connected after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub connect_timeout: f64,
    /// I/O driver.
    #[arg(long, value_enum, default_value_t = Driver::Auto)]
    pub driver: Driver,
    /// static: send `Accept-Encoding: gzip` and expect a gzip body.
    #[arg(long)]
    pub gzip: bool,
    /// static: the path to request.
    #[arg(long, default_value = "/socket.io/socket.io.js")]
    pub path: String,
    /// Print one JSON line of results on stdout (the human report goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// Resolve `http://host:port[/...]` to an address and a `Host` header value.
pub fn parse_url(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must start with http:// ({url})"))?;
    let host = rest.split('/').next().unwrap_or("");
    let with_port = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .find(|a| a.is_ipv4())
        .ok_or_else(|| format!("no IPv4 address for {host}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address; this generator is loopback only"
        ));
    }
    Ok((addr, host.to_string()))
}
