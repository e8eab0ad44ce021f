//! `sio09-loadgen`: an end-to-end load generator for Socket.IO 0.9 servers running the test
//! app (`/work/shared/TEST-APP.md`) over the websocket transport.
//!
//! It connects `--clients` websocket clients (handshake, upgrade, `1::`), then runs one
//! scenario for `--warmup` + `--duration` seconds:
//! - `echo`: each client keeps `--inflight` `echo` events outstanding; replies are matched to
//!   their send time and checked exactly once, in order, byte for byte.
//! - `ack`: the same with data acks (`5:{id}+::…` → `6:::{id}+[…]`).
//! - `broadcast`: every client joins room `bench`; one extra sender emits `to-room` at
//!   `--rate` per second; every receiver checks each seq arrives once, in order. The `t` field
//!   of each message is the send time in µs on the generator's monotonic clock.
//!
//! It reports throughput, latency percentiles, errors/lost/duplicates (all 0 for a valid run),
//! its own CPU use, and with `--server-pid` the server's CPU per message and memory.

mod client;
mod metrics;
mod ws;

use clap::Parser;
use client::{now_ns, Global, Local, Plan, Scenario, ThreadResult};
use metrics::Histogram;
use monoio::{FusionDriver, IoUringDriver, LegacyDriver, RuntimeBuilder};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// io_uring submission queue entries per generator thread.
const URING_ENTRIES: u32 = 1024;
/// Seconds clients get after the window to receive what is still in flight.
const DRAIN_SECS: u64 = 5;
/// Above this many sockets per source address, warn that ports may run out.
const SOCKETS_PER_SOURCE: usize = 15_000;

/// Which monoio driver the generator threads use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Driver {
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
    about = "End-to-end load generator for Socket.IO 0.9 servers (test app)"
)]
struct Cli {
    /// Server base URL (loopback), e.g. http://127.0.0.1:9000
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    url: String,
    /// Scenario to run.
    #[arg(long, value_enum, default_value_t = Scenario::Echo)]
    scenario: Scenario,
    /// Number of websocket clients.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// echo/ack: events in flight per client.
    #[arg(long, default_value_t = 1)]
    inflight: usize,
    /// Measured window in seconds (at most 3600).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before the measured window (not counted).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// broadcast: messages per second the sender emits to the room.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Server process to sample (CPU time of all its threads, RSS) around the window.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Spread client sockets over source addresses 127.0.0.1 ..= 127.0.0.N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=254))]
    sources: u8,
    /// Generator threads (one monoio runtime each).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Connections set up concurrently per thread.
    #[arg(long, default_value_t = 100)]
    connect_batch: usize,
    /// Give up when the clients are not all connected after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    connect_timeout: f64,
    /// I/O driver.
    #[arg(long, value_enum, default_value_t = Driver::Auto)]
    driver: Driver,
    /// Print one JSON line of results on stdout (the human report goes to stderr).
    #[arg(long)]
    json: bool,
}

/// Resolve `http://host:port[/...]` to an address and a `Host` header value.
fn parse_url(url: &str) -> Result<(SocketAddr, String), String> {
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

/// Run `f` on a monoio runtime of the chosen driver; `Err` if the runtime cannot start.
fn run_runtime<F: std::future::Future<Output = ()>>(
    driver: Driver,
    f: F,
) -> Result<&'static str, String> {
    match driver {
        Driver::Legacy => {
            let mut rt = RuntimeBuilder::<LegacyDriver>::new()
                .enable_timer()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(f);
            Ok("epoll")
        }
        Driver::Uring => {
            let mut rt = RuntimeBuilder::<IoUringDriver>::new()
                .with_entries(URING_ENTRIES)
                .enable_timer()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(f);
            Ok("io_uring")
        }
        Driver::Auto => {
            let mut rt = RuntimeBuilder::<FusionDriver>::new()
                .with_entries(URING_ENTRIES)
                .enable_timer()
                .build()
                .map_err(|e| e.to_string())?;
            let name = match &rt {
                monoio::FusionRuntime::Uring(_) => "io_uring",
                monoio::FusionRuntime::Legacy(_) => "epoll (io_uring refused)",
            };
            rt.block_on(f);
            Ok(name)
        }
    }
}

/// Sleep until `t` on [`now_ns`]'s clock.
fn sleep_until(t: u64) {
    let now = now_ns();
    if t > now {
        std::thread::sleep(Duration::from_nanos(t - now));
    }
}

/// Samples taken at the edges of the measured window.
#[derive(Default, Clone, Copy)]
struct Sample {
    /// Generator CPU (µs).
    self_cpu: u64,
    /// Server CPU (µs), when known.
    server_cpu: Option<u64>,
    /// `(busy, softirq, total)` jiffies of the generator's CPUs.
    gen_cores: Option<(u64, u64, u64)>,
    /// `(busy, softirq, total)` jiffies of the server's CPUs.
    server_cores: Option<(u64, u64, u64)>,
}

/// Take a [`Sample`].
fn sample(pid: Option<u32>, gen_cpus: &[usize], server_cpus: &[usize]) -> Sample {
    Sample {
        self_cpu: metrics::self_cpu_us(),
        server_cpu: pid.and_then(metrics::proc_cpu_us),
        gen_cores: metrics::cpu_jiffies(gen_cpus),
        server_cores: pid.and_then(|_| metrics::cpu_jiffies(server_cpus)),
    }
}

/// `(busy %, softirq %)` of a set of CPUs between two jiffy samples.
fn cores_pct(a: Option<(u64, u64, u64)>, b: Option<(u64, u64, u64)>) -> Option<(f64, f64)> {
    let ((b0, s0, t0), (b1, s1, t1)) = (a?, b?);
    let t = t1.checked_sub(t0).filter(|&t| t > 0)? as f64;
    Some((
        b1.saturating_sub(b0) as f64 * 100.0 / t,
        s1.saturating_sub(s0) as f64 * 100.0 / t,
    ))
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

/// Everything after argument parsing; exits the process itself once results are printed.
fn real_main(cli: Cli) -> Result<(), String> {
    let _ = now_ns();
    if !(cli.duration > 0.0 && cli.duration <= 3600.0) {
        return Err("--duration must be in (0, 3600] seconds".into());
    }
    if !(0.0..=600.0).contains(&cli.warmup) {
        return Err("--warmup must be in [0, 600] seconds".into());
    }
    if cli.clients == 0 || cli.threads == 0 || cli.inflight == 0 {
        return Err("--clients, --threads and --inflight must be at least 1".into());
    }
    if cli.scenario == Scenario::Broadcast && !(cli.rate > 0.0 && cli.rate <= 1e6) {
        return Err("--rate must be in (0, 1e6]".into());
    }
    let (addr, host) = parse_url(&cli.url)?;
    let nofile = metrics::raise_nofile();
    // Each client holds one socket at a time (the handshake socket closes before the upgrade).
    let need = cli.clients as u64 + 64;
    if nofile < need {
        return Err(format!(
            "open-file limit {nofile} is below the {need} descriptors {} clients need",
            cli.clients
        ));
    }
    if cli.clients / cli.sources as usize > SOCKETS_PER_SOURCE {
        eprintln!(
            "warning: {} clients over {} source address(es): ephemeral ports may run out; use --sources",
            cli.clients, cli.sources
        );
    }

    let plan = Arc::new(Plan {
        target: ws::Target { addr, host },
        scenario: cli.scenario,
        inflight: cli.inflight,
        rate: cli.rate,
        sources: cli.sources,
        connect_batch: cli.connect_batch,
        drain_ns: DRAIN_SECS * 1_000_000_000,
    });
    let g = Arc::new(Global::new());
    let (tx, rx) = flume::unbounded::<ThreadResult>();
    let (dtx, drx) = flume::unbounded::<Result<&'static str, String>>();
    let broadcast = cli.scenario == Scenario::Broadcast;
    let expect = cli.clients + broadcast as usize;

    for t in 0..cli.threads {
        let clients: Vec<usize> = (t..cli.clients).step_by(cli.threads).collect();
        let (plan, g, tx, dtx) = (plan.clone(), g.clone(), tx.clone(), dtx.clone());
        let with_sender = broadcast && t == 0;
        let driver = cli.driver;
        std::thread::Builder::new()
            .name(format!("loadgen-{t}"))
            .spawn(move || {
                let n = clients.len() + with_sender as usize;
                let local = Local::new(plan, g.clone());
                let dtx2 = dtx.clone();
                let res = run_runtime(driver, async move {
                    let _ = dtx2.send(Ok("started"));
                    client::thread_main(local, clients, with_sender, tx).await;
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
    let driver_name = match cli.driver {
        Driver::Legacy => "epoll",
        Driver::Uring => "io_uring",
        Driver::Auto => {
            // FusionDriver decides per thread; probe once for the report.
            match RuntimeBuilder::<IoUringDriver>::new()
                .with_entries(8)
                .build()
            {
                Ok(_) => "io_uring",
                Err(_) => "epoll (io_uring refused)",
            }
        }
    };
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
    if connected == 0 {
        return Err(format!("no client could connect to {}", cli.url));
    }
    eprintln!(
        "{connected}/{expect} clients ready in {connect_secs:.2}s ({failed} failed); driver {driver_name}; running {:?} for {}s + {}s warmup",
        cli.scenario, cli.duration, cli.warmup
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
    let s0 = sample(cli.server_pid, &gen_cpus, &server_cpus);
    let w0 = now_ns();
    sleep_until(end);
    let s1 = sample(cli.server_pid, &gen_cpus, &server_cpus);
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
        rss,
        driver_name,
    );
    report.gen_cores = cores_pct(s0.gen_cores, s1.gen_cores);
    report.server_cores = cores_pct(s0.server_cores, s1.server_cores);
    report.gen_cpus = gen_cpus;
    report.server_cpus = server_cpus;
    report.print(cli.json);
    std::process::exit(if report.valid { 0 } else { 1 });
}

/// The final numbers.
struct Report {
    /// Scenario name.
    scenario: Scenario,
    /// Clients asked for.
    clients: usize,
    /// Clients (and sender) connected.
    connected: usize,
    /// Connection failures.
    connect_failed: usize,
    /// Seconds to connect everyone.
    connect_secs: f64,
    /// In flight per client.
    inflight: usize,
    /// Window length (s).
    window: f64,
    /// Messages (replies or deliveries) in the window.
    msgs: u64,
    /// Messages per second.
    rate: f64,
    /// Messages sent (whole run).
    sent: u64,
    /// Latency histogram (µs).
    hist: Histogram,
    /// Errors.
    errors: u64,
    /// Lost messages.
    lost: u64,
    /// Duplicates.
    dups: u64,
    /// Error samples.
    samples: Vec<String>,
    /// Generator CPU % of one core over the window.
    gen_cpu_pct: f64,
    /// Generator threads.
    threads: usize,
    /// Server CPU % of one core over the window.
    server_cpu_pct: Option<f64>,
    /// Server CPU µs per message.
    server_us_per_msg: Option<f64>,
    /// Server RSS and peak RSS (KiB).
    rss: Option<(u64, u64)>,
    /// I/O driver used.
    driver: &'static str,
    /// CPUs the generator may run on.
    gen_cpus: Vec<usize>,
    /// `(busy %, softirq %)` of those CPUs over the window (all processes, kernel included).
    gen_cores: Option<(f64, f64)>,
    /// CPUs the server may run on.
    server_cpus: Vec<usize>,
    /// `(busy %, softirq %)` of those CPUs over the window.
    server_cores: Option<(f64, f64)>,
    /// Whether the run counts.
    valid: bool,
}

impl Report {
    /// Merge thread results and samples into the report.
    #[allow(clippy::too_many_arguments)]
    fn build(
        cli: &Cli,
        results: &[ThreadResult],
        g: &Global,
        connected: usize,
        failed: usize,
        connect_secs: f64,
        s0: Sample,
        s1: Sample,
        window: f64,
        rss: Option<(u64, u64)>,
        driver: &'static str,
    ) -> Report {
        let mut hist = Histogram::default();
        let (mut msgs, mut sent, mut errors, mut dups, mut inflight_left) = (0, 0, 0, 0, 0);
        let (mut receivers, mut unique, mut samples) = (0u64, 0u64, Vec::new());
        let mut unfinished = 0usize;
        for r in results {
            hist.merge(&r.hist);
            msgs += r.msgs;
            sent += r.sent;
            errors += r.errors;
            dups += r.dups;
            inflight_left += r.inflight_left;
            receivers += r.receivers;
            unique += r.unique;
            unfinished += r.clients - r.finished;
            samples.extend(r.samples.iter().cloned());
        }
        if results.len() < cli.threads {
            errors += 1;
            samples.push(format!(
                "{} generator thread(s) never reported",
                cli.threads - results.len()
            ));
        }
        let lost = if cli.scenario == Scenario::Broadcast {
            let fin = g.final_seq.load(Ordering::Acquire);
            if fin == u64::MAX {
                errors += 1;
                samples.push("the broadcast sender never finished".into());
                0
            } else {
                (receivers * (fin + 1)).saturating_sub(unique)
            }
        } else {
            inflight_left
        };
        if unfinished > 0 {
            samples.push(format!(
                "{unfinished} client(s) had not finished {DRAIN_SECS}s after the window"
            ));
        }
        let gen_cpu_pct = (s1.self_cpu - s0.self_cpu) as f64 / 1e4 / window;
        let server = match (s0.server_cpu, s1.server_cpu) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        let valid = failed == 0 && errors == 0 && lost == 0 && dups == 0 && msgs > 0;
        Report {
            scenario: cli.scenario,
            clients: cli.clients,
            connected,
            connect_failed: failed,
            connect_secs,
            inflight: cli.inflight,
            window,
            msgs,
            rate: msgs as f64 / window,
            sent,
            hist,
            errors,
            lost,
            dups,
            samples,
            gen_cpu_pct,
            threads: cli.threads,
            server_cpu_pct: server.map(|d| d as f64 / 1e4 / window),
            server_us_per_msg: server.map(|d| {
                if msgs > 0 {
                    d as f64 / msgs as f64
                } else {
                    0.0
                }
            }),
            rss,
            driver,
            gen_cpus: Vec::new(),
            gen_cores: None,
            server_cpus: Vec::new(),
            server_cores: None,
            valid,
        }
    }

    /// Whether the generator probably limited the run: its threads used at least 90 % of a
    /// core each, or it runs on CPUs of its own (none shared with the server) and those were
    /// at least 95 % busy (loopback softirq work for its sockets counts there, not in its
    /// process time).
    fn generator_bound(&self) -> bool {
        let own_cores = !self.gen_cpus.is_empty()
            && !self.server_cpus.is_empty()
            && self.gen_cpus.iter().all(|c| !self.server_cpus.contains(c));
        self.gen_cpu_pct >= 90.0 * self.threads as f64
            || (own_cores && self.gen_cores.is_some_and(|(busy, _)| busy >= 95.0))
    }

    /// Print the human report (stdout, or stderr with `json`) and the JSON line.
    fn print(&self, json: bool) {
        let (unit, one) = if self.scenario == Scenario::Broadcast {
            ("deliveries", "delivery")
        } else {
            ("messages", "message")
        };
        let (p50, p99, p999) = (
            self.hist.quantile(0.5),
            self.hist.quantile(0.99),
            self.hist.quantile(0.999),
        );
        let mut h = String::new();
        use std::fmt::Write;
        let _ = writeln!(
            h,
            "scenario {:?}: {} clients; {}/{} connections ready in {:.2}s, inflight {}, window {:.2}s, driver {}",
            self.scenario,
            self.clients,
            self.connected,
            self.clients + (self.scenario == Scenario::Broadcast) as usize,
            self.connect_secs,
            self.inflight,
            self.window,
            self.driver
        );
        let _ = writeln!(
            h,
            "{unit}: {} in window ({:.0}/s); {} sent in total",
            self.msgs, self.rate, self.sent
        );
        let _ = writeln!(
            h,
            "latency µs: p50 {p50}  p99 {p99}  p99.9 {p999}  max {}",
            self.hist.max
        );
        let _ = writeln!(
            h,
            "errors {}  lost {}  duplicates {}  => {}",
            self.errors,
            self.lost,
            self.dups,
            if self.valid { "VALID" } else { "INVALID RUN" }
        );
        for s in &self.samples {
            let _ = writeln!(h, "  {s}");
        }
        let _ = writeln!(
            h,
            "generator CPU: {:.1}% process time ({} thread(s)){}",
            self.gen_cpu_pct,
            self.threads,
            if self.generator_bound() {
                "  <- generator-bound: the server may have more to give"
            } else {
                ""
            }
        );
        if let Some((busy, soft)) = self.gen_cores {
            let _ = writeln!(
                h,
                "generator CPU(s) {:?}: {busy:.1}% busy (all processes; softirq {soft:.1}%)",
                self.gen_cpus
            );
        }
        if let Some((busy, soft)) = self.server_cores {
            let _ = writeln!(
                h,
                "server CPU(s) {:?}: {busy:.1}% busy (all processes; softirq {soft:.1}%)",
                self.server_cpus
            );
        }
        if let (Some(pct), Some(per)) = (self.server_cpu_pct, self.server_us_per_msg) {
            let _ = write!(h, "server CPU: {pct:.1}%, {per:.2} µs per {}", one);
            if let Some((rss, hwm)) = self.rss {
                let _ = write!(
                    h,
                    "; RSS {:.1} MiB (peak {:.1} MiB)",
                    rss as f64 / 1024.0,
                    hwm as f64 / 1024.0
                );
            }
            h.push('\n');
        }
        if json {
            eprint!("{h}");
            let v = serde_json::json!({
                "scenario": format!("{:?}", self.scenario).to_lowercase(),
                "clients": self.clients,
                "connected": self.connected,
                "connect_failed": self.connect_failed,
                "connect_secs": self.connect_secs,
                "inflight": self.inflight,
                "window_secs": self.window,
                "messages": self.msgs,
                "rate": self.rate,
                "sent": self.sent,
                "p50_us": p50,
                "p99_us": p99,
                "p999_us": p999,
                "max_us": self.hist.max,
                "errors": self.errors,
                "lost": self.lost,
                "duplicates": self.dups,
                "error_samples": self.samples,
                "gen_cpu_pct": self.gen_cpu_pct,
                "gen_threads": self.threads,
                "generator_bound": self.generator_bound(),
                "gen_cpus": self.gen_cpus,
                "gen_cores_busy_pct": self.gen_cores.map(|c| c.0),
                "gen_cores_softirq_pct": self.gen_cores.map(|c| c.1),
                "server_cpus": self.server_cpus,
                "server_cores_busy_pct": self.server_cores.map(|c| c.0),
                "server_cores_softirq_pct": self.server_cores.map(|c| c.1),
                "server_cpu_pct": self.server_cpu_pct,
                "server_cpu_us_per_msg": self.server_us_per_msg,
                "server_rss_kb": self.rss.map(|r| r.0),
                "server_peak_rss_kb": self.rss.map(|r| r.1),
                "driver": self.driver,
                "valid": self.valid,
            });
            println!("{v}");
        } else {
            print!("{h}");
        }
    }
}
