//! The final report: merging the threads' results, validity, and the human and JSON output.

use crate::cli::Cli;
use crate::metrics::{Histogram, Sample};
use crate::plan::{Global, Scenario, ThreadResult};
use crate::DRAIN_SECS;
use std::sync::atomic::Ordering;

/// Server memory (VmRSS, KiB) at the edges of the run.
pub struct Memory {
    /// Before any client connected.
    pub before: Option<u64>,
    /// Once every client was connected.
    pub connected: Option<u64>,
    /// `(VmRSS, VmHWM)` at the end of the window.
    pub end: Option<(u64, u64)>,
}

/// The final numbers.
pub struct Report {
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
    /// Server memory.
    mem: Memory,
    /// Static: MB (10^6 bytes) of response bodies per second.
    mb_per_s: f64,
    /// Storm: connects skipped (too many pending); storm: the rate asked for.
    skipped: u64,
    /// Storm: the connect rate asked for (per second).
    target_rate: f64,
    /// I/O driver used.
    driver: &'static str,
    /// CPUs the generator may run on.
    pub gen_cpus: Vec<usize>,
    /// `(busy %, softirq %)` of those CPUs over the window (all processes, kernel included).
    pub gen_cores: Option<(f64, f64)>,
    /// CPUs the server may run on.
    pub server_cpus: Vec<usize>,
    /// `(busy %, softirq %)` of those CPUs over the window.
    pub server_cores: Option<(f64, f64)>,
    /// Whether the run counts.
    pub valid: bool,
}

impl Report {
    /// Merge thread results and samples into the report.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        cli: &Cli,
        results: &[ThreadResult],
        g: &Global,
        connected: usize,
        failed: usize,
        connect_secs: f64,
        s0: Sample,
        s1: Sample,
        window: f64,
        mem: Memory,
        driver: &'static str,
    ) -> Report {
        let mut hist = Histogram::default();
        let (mut msgs, mut sent, mut errors, mut dups, mut inflight_left) = (0, 0, 0, 0, 0);
        let (mut receivers, mut unique, mut samples) = (0u64, 0u64, Vec::new());
        let (mut unfinished, mut bytes, mut skipped) = (0usize, 0u64, 0u64);
        for r in results {
            bytes += r.bytes;
            skipped += r.skipped;
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
        let clean = failed == 0 && errors == 0 && lost == 0 && dups == 0;
        // Idle sessions need not see a heartbeat inside the window; everything else must
        // have moved messages.
        let valid = clean && (msgs > 0 || cli.scenario == Scenario::Idle);
        Report {
            scenario: cli.scenario,
            clients: if cli.scenario == Scenario::Storm {
                0
            } else {
                cli.clients
            },
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
            mem,
            mb_per_s: bytes as f64 / 1e6 / window,
            skipped,
            target_rate: if cli.scenario == Scenario::Storm {
                cli.rate
            } else {
                0.0
            },
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

    /// Server RSS growth per connected client (KiB), from before connecting to the end.
    fn rss_per_session(&self) -> Option<f64> {
        let (b, (e, _)) = (self.mem.before?, self.mem.end?);
        (self.connected > 0).then(|| (e as f64 - b as f64) / self.connected as f64)
    }

    /// Print the human report (stdout, or stderr with `json`) and the JSON line.
    pub fn print(&self, json: bool) {
        let (unit, one) = match self.scenario {
            Scenario::Broadcast => ("deliveries", "delivery"),
            Scenario::Echo | Scenario::Ack | Scenario::Poll => ("round trips", "round trip"),
            Scenario::Static => ("requests", "request"),
            Scenario::Storm => ("connects", "connect"),
            Scenario::Idle => ("heartbeats answered", "heartbeat"),
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
            "scenario {}: {} clients; {}/{} connections ready in {:.2}s, inflight {}, window {:.2}s, driver {}",
            self.scenario.name(),
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
        if self.scenario == Scenario::Static {
            let _ = writeln!(h, "bodies: {:.1} MB/s", self.mb_per_s);
        }
        if self.scenario == Scenario::Storm {
            let _ = writeln!(
                h,
                "connects asked for: {:.0}/s; skipped (over {} pending per thread): {}",
                self.target_rate,
                crate::storm::MAX_ACTIVE,
                self.skipped
            );
        }
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
            if let Some((rss, hwm)) = self.mem.end {
                let _ = write!(
                    h,
                    "; RSS {:.1} MiB (peak {:.1} MiB)",
                    rss as f64 / 1024.0,
                    hwm as f64 / 1024.0
                );
            }
            h.push('\n');
        }
        if let (Some(b), Some(c), Some((e, _))) =
            (self.mem.before, self.mem.connected, self.mem.end)
        {
            let _ = writeln!(
                h,
                "server RSS: {:.1} MiB before, {:.1} MiB connected, {:.1} MiB at the end; {:.2} KiB per session",
                b as f64 / 1024.0,
                c as f64 / 1024.0,
                e as f64 / 1024.0,
                self.rss_per_session().unwrap_or(0.0)
            );
        }
        if json {
            eprint!("{h}");
            let v = serde_json::json!({
                "scenario": self.scenario.name(),
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
                "server_rss_kb": self.mem.end.map(|r| r.0),
                "server_peak_rss_kb": self.mem.end.map(|r| r.1),
                "server_rss_before_kb": self.mem.before,
                "server_rss_connected_kb": self.mem.connected,
                "rss_per_session_kb": self.rss_per_session(),
                "mb_per_s": self.mb_per_s,
                "skipped": self.skipped,
                "target_rate": self.target_rate,
                "driver": self.driver,
                "valid": self.valid,
            });
            println!("{v}");
        } else {
            print!("{h}");
        }
    }
}
