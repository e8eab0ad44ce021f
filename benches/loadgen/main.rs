//! `sio09-loadgen`: an end-to-end load generator for Socket.IO 0.9 servers running the test
//! app (`/work/shared/TEST-APP.md`).
//!
//! It connects `--clients` clients, then runs one scenario for `--warmup` + `--duration`
//! seconds:
//! - `echo`: websocket clients each keep `--inflight` `echo` events outstanding; replies are
//!   matched to their send time and checked exactly once, in order, byte for byte.
//! - `ack`: the same with data acks (`5:{id}+::…` → `6:::{id}+[…]`).
//! - `broadcast`: every client joins room `bench`; one extra sender emits `to-room` at
//!   `--rate` per second; every receiver checks each seq arrives once, in order. The `t` field
//!   of each message is the send time in µs on the generator's monotonic clock.
//! - `poll`: the echo check over xhr-polling (POSTs, long-poll GETs, U+FFFD payloads).
//! - `static`: keep-alive connections looping `GET /socket.io/socket.io.js` (`--gzip`).
//! - `storm`: `--rate` handshake + websocket connects per second, each closed after `1::`.
//! - `idle`: websocket sessions held for the window answering heartbeats; with
//!   `--server-pid`, the server's RSS growth per session.
//!
//! It reports throughput, latency percentiles, errors/lost/duplicates (all 0 for a valid run),
//! its own CPU use, and with `--server-pid` the server's CPU per message and memory.

mod broadcast;
mod cli;
mod connect;
mod echo;
mod http;
mod idle;
mod local;
mod metrics;
mod payload;
mod plan;
mod poll;
mod report;
mod runtime;
mod statics;
mod storm;
mod thread;
mod ws;

use clap::Parser;
use cli::Cli;
use local::Local;
use plan::{now_ns, Global, Plan, Scenario, ThreadResult};
use report::{Memory, Report};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Seconds clients get after the window to receive what is still in flight.
pub const DRAIN_SECS: u64 = 5;
/// Above this many sockets per source address, warn that ports may run out.
const SOCKETS_PER_SOURCE: usize = 15_000;

/// Sleep until `t` on [`now_ns`]'s clock.
fn sleep_until(t: u64) {
    let now = now_ns();
    if t > now {
        std::thread::sleep(Duration::from_nanos(t - now));
    }
}

/// Entry point: parse the command line and run; exit status 0 = valid run, 1 = invalid run
/// (errors, lost or duplicate messages), 2 = could not run.
fn main() {
    let cli = Cli::parse();
    if let Err(e) = real_main(cli) {
        eprintln!("sio09-loadgen: {e}");
        std::process::exit(2);
    }
}

/// Check the command line's ranges.
fn validate(cli: &Cli) -> Result<(), String> {
    if !(cli.duration > 0.0 && cli.duration <= 3600.0) {
        return Err("--duration must be in (0, 3600] seconds".into());
    }
    if !(0.0..=600.0).contains(&cli.warmup) {
        return Err("--warmup must be in [0, 600] seconds".into());
    }
    if (cli.clients == 0 && cli.scenario != Scenario::Storm)
        || cli.threads == 0
        || cli.inflight == 0
    {
        return Err("--clients, --threads and --inflight must be at least 1".into());
    }
    let rated = matches!(cli.scenario, Scenario::Broadcast | Scenario::Storm);
    if rated && !(cli.rate > 0.0 && cli.rate <= 1e6) {
        return Err("--rate must be in (0, 1e6]".into());
    }
    if !cli.path.starts_with('/') || cli.path.contains(|c: char| c.is_whitespace()) {
        return Err("--path must start with / and hold no whitespace".into());
    }
    Ok(())
}

/// Everything after argument parsing; exits the process itself once results are printed.
fn real_main(cli: Cli) -> Result<(), String> {
    let _ = now_ns();
    validate(&cli)?;
    let (addr, host) = cli::parse_url(&cli.url)?;
    let mut also = Vec::new();
    for u in &cli.also_url {
        let (addr, host) = cli::parse_url(u)?;
        also.push(ws::Target { addr, host });
    }
    let nofile = metrics::raise_nofile();
    // websocket clients hold one socket at a time (the handshake socket closes before the
    // upgrade); polling clients hold two (GET and POST).
    let per_client = if cli.scenario == Scenario::Poll { 2 } else { 1 };
    let clients = if cli.scenario == Scenario::Storm {
        0
    } else {
        cli.clients
    };
    let need = (clients * per_client) as u64 + 64;
    if nofile < need {
        return Err(format!(
            "open-file limit {nofile} is below the {need} descriptors {clients} clients need"
        ));
    }
    if clients * per_client / cli.sources as usize > SOCKETS_PER_SOURCE {
        eprintln!(
            "warning: {clients} clients over {} source address(es): ephemeral ports may run out; use --sources",
            cli.sources
        );
    }

    let plan = Arc::new(Plan {
        target: ws::Target { addr, host },
        also,
        scenario: cli.scenario,
        inflight: cli.inflight,
        rate: cli.rate,
        threads: cli.threads,
        gzip: cli.gzip,
        path: cli.path.clone(),
        sources: cli.sources,
        connect_batch: cli.connect_batch,
        drain_ns: DRAIN_SECS * 1_000_000_000,
    });
    let g = Arc::new(Global::new());
    let (tx, rx) = flume::unbounded::<ThreadResult>();
    let (dtx, drx) = flume::unbounded::<Result<&'static str, String>>();
    let broadcast = cli.scenario == Scenario::Broadcast;
    let expect = clients + broadcast as usize;
    let rss_before = cli.server_pid.and_then(metrics::proc_rss_kb);

    for t in 0..cli.threads {
        let mine: Vec<usize> = (t..clients).step_by(cli.threads).collect();
        let (plan, g, tx, dtx) = (plan.clone(), g.clone(), tx.clone(), dtx.clone());
        let with_sender = broadcast && t == 0;
        let driver = cli.driver;
        std::thread::Builder::new()
            .name(format!("loadgen-{t}"))
            .spawn(move || {
                let n = mine.len() + with_sender as usize;
                let local = Local::new(plan, g.clone());
                let dtx2 = dtx.clone();
                let res = runtime::run_runtime(driver, async move {
                    let _ = dtx2.send(Ok("started"));
                    thread::thread_main(local, t, mine, with_sender, tx).await;
                });
                if let Err(e) = res {
                    g.failed.fetch_add(n, Ordering::Release);
                    let _ = dtx.send(Err(e));
                }
            })
            .map_err(|e| format!("spawn thread: {e}"))?;
    }
    drop(tx);
    drop(dtx);
    let driver_name = runtime::driver_name(cli.driver);
    for _ in 0..cli.threads {
        match drx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("generator runtime: {e}")),
            Err(_) => return Err("generator thread did not start".into()),
        }
    }

    // Connect.
    let c0 = now_ns();
    let connect_deadline = c0 + (cli.connect_timeout * 1e9) as u64;
    let mut last_report = c0;
    loop {
        let (r, f) = (
            g.ready.load(Ordering::Acquire),
            g.failed.load(Ordering::Acquire),
        );
        if r + f >= expect {
            break;
        }
        let now = now_ns();
        if now > connect_deadline {
            return Err(format!(
                "only {r} of {expect} clients connected after {}s ({f} failed)",
                cli.connect_timeout
            ));
        }
        if now - last_report > 2_000_000_000 {
            eprintln!("connecting: {r}/{expect} ready, {f} failed");
            last_report = now;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let connect_secs = (now_ns() - c0) as f64 / 1e9;
    let failed = g.failed.load(Ordering::Acquire);
    let connected = g.ready.load(Ordering::Acquire);
    if connected == 0 && expect > 0 {
        return Err(format!("no client could connect to {}", cli.url));
    }
    let rss_connected = cli.server_pid.and_then(metrics::proc_rss_kb);
    eprintln!(
        "{connected}/{expect} clients ready in {connect_secs:.2}s ({failed} failed); driver {driver_name}; running {} for {}s + {}s warmup",
        cli.scenario.name(), cli.duration, cli.warmup
    );

    // Run.
    let t0 = now_ns().max(1);
    let ms = t0 + (cli.warmup * 1e9) as u64;
    let end = ms + (cli.duration * 1e9) as u64;
    g.measure_start.store(ms, Ordering::Relaxed);
    g.end.store(end, Ordering::Relaxed);
    g.t0.store(t0, Ordering::Release);
    let gen_cpus = metrics::allowed_cpus(None);
    let server_cpus = cli
        .server_pid
        .map(|p| metrics::allowed_cpus(Some(p)))
        .unwrap_or_default();
    sleep_until(ms);
    let s0 = metrics::sample(cli.server_pid, &gen_cpus, &server_cpus);
    let w0 = now_ns();
    sleep_until(end);
    let s1 = metrics::sample(cli.server_pid, &gen_cpus, &server_cpus);
    let w1 = now_ns();
    let rss = cli.server_pid.and_then(metrics::proc_rss_kb);

    // Collect.
    let collect_deadline = end + (DRAIN_SECS + 5) * 1_000_000_000;
    let mut results = Vec::new();
    while results.len() < cli.threads {
        let left = collect_deadline.saturating_sub(now_ns());
        match rx.recv_timeout(Duration::from_nanos(left)) {
            Ok(r) => results.push(r),
            Err(_) => break,
        }
    }
    let mut report = Report::build(
        &cli,
        &results,
        &g,
        connected,
        failed,
        connect_secs,
        s0,
        s1,
        (w1 - w0) as f64 / 1e9,
        Memory {
            before: rss_before.map(|r| r.0),
            connected: rss_connected.map(|r| r.0),
            end: rss,
        },
        driver_name,
    );
    report.gen_cores = metrics::cores_pct(s0.gen_cores, s1.gen_cores);
    report.server_cores = metrics::cores_pct(s0.server_cores, s1.server_cores);
    report.gen_cpus = gen_cpus;
    report.server_cpus = server_cpus;
    report.print(cli.json);
    std::process::exit(if report.valid { 0 } else { 1 });
}
