//! Measurement helpers: a log-linear latency histogram, the generator's own CPU time
//! (`getrusage`) and a target process's CPU time and memory from `/proc`.

/// Sub-buckets per power of two (2^7 = 128: under 0.8 % relative error).
const SUB_BITS: u32 = 7;
/// `1 << SUB_BITS`.
const SUB: u64 = 1 << SUB_BITS;
/// Number of buckets: exact below `2 * SUB`, then 128 per power of two up to 2^63.
const BUCKETS: usize = ((64 - SUB_BITS) as usize) * SUB as usize + SUB as usize;

/// A latency histogram over microseconds (values below 256 are exact).
#[derive(Clone)]
pub struct Histogram {
    /// Counts per bucket.
    counts: Vec<u64>,
    /// Number of recorded values.
    pub total: u64,
    /// Largest recorded value.
    pub max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Bucket index of `v`.
    #[inline]
    fn index(v: u64) -> usize {
        if v < 2 * SUB {
            v as usize
        } else {
            let e = 63 - v.leading_zeros();
            let shift = e - SUB_BITS;
            ((shift as u64) * SUB + (v >> shift)) as usize
        }
    }

    /// Smallest value that falls in bucket `i`.
    fn lower(i: usize) -> u64 {
        let i = i as u64;
        if i < 2 * SUB {
            i
        } else {
            let shift = i / SUB - 1;
            (((SUB + i % SUB) as u128) << shift).min(u64::MAX as u128) as u64
        }
    }

    /// Record one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.total += 1;
        if v > self.max {
            self.max = v;
        }
    }

    /// Add all of `o`'s values.
    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.total += o.total;
        self.max = self.max.max(o.max);
    }

    /// The value at quantile `q` (0..=1): the midpoint of the bucket holding it (exact below 256).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let lo = Self::lower(i);
                let hi = Self::lower(i + 1);
                return (lo + (hi - lo - 1) / 2).min(self.max);
            }
        }
        self.max
    }
}

/// CPU time (user + system, all threads) this process has used, in µs.
pub fn self_cpu_us() -> u64 {
    // SAFETY: getrusage fills the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU time (utime + stime) of process `pid` in µs, from `/proc/PID/stat`. The kernel sums
/// every thread of the thread group (live and exited) into the leader's line.
pub fn proc_cpu_us(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name start at field 3 (state).
    let after = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some((utime + stime) * 1_000_000 / hz)
}

/// `(VmRSS, VmHWM)` of process `pid` in KiB, from `/proc/PID/status`.
pub fn proc_rss_kb(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = s.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:").unwrap_or(0)))
}

/// Raise the soft open-file limit to the hard limit; returns the new soft limit.
pub fn raise_nofile() -> u64 {
    // SAFETY: get/setrlimit with a properly initialised struct.
    unsafe {
        let mut rl: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
            return 0;
        }
        if rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl);
        }
        rl.rlim_cur
    }
}

/// The CPUs process `pid` (or this process, for `None`) may run on, from `Cpus_allowed_list`.
pub fn allowed_cpus(pid: Option<u32>) -> Vec<usize> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let Ok(s) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Some(line) = s.lines().find(|l| l.starts_with("Cpus_allowed_list:")) else {
        return Vec::new();
    };
    let mut v = Vec::new();
    for part in line["Cpus_allowed_list:".len()..].trim().split(',') {
        let mut ends = part.split('-').map(|x| x.trim().parse::<usize>());
        match (ends.next(), ends.next()) {
            (Some(Ok(a)), Some(Ok(b))) => v.extend(a..=b),
            (Some(Ok(a)), None) => v.push(a),
            _ => {}
        }
    }
    v
}

/// Per-CPU `(busy, softirq, total)` jiffies from `/proc/stat` for the given CPUs, summed.
/// Busy is everything but idle and iowait (user, nice, system, irq, softirq, steal).
pub fn cpu_jiffies(cpus: &[usize]) -> Option<(u64, u64, u64)> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let (mut busy, mut soft, mut total) = (0, 0, 0);
    for line in s.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        let mut it = rest.split_whitespace();
        let Some(Ok(n)) = it.next().map(|x| x.parse::<usize>()) else {
            continue;
        };
        if !cpus.contains(&n) {
            continue;
        }
        let f: Vec<u64> = it.take(8).filter_map(|x| x.parse().ok()).collect();
        if f.len() < 8 {
            return None;
        }
        let t: u64 = f.iter().sum();
        total += t;
        busy += t - f[3] - f[4];
        soft += f[6];
    }
    (total > 0).then_some((busy, soft, total))
}

/// Samples taken at the edges of the measured window.
#[derive(Default, Clone, Copy)]
pub struct Sample {
    /// Generator CPU (µs).
    pub self_cpu: u64,
    /// Server CPU (µs), when known.
    pub server_cpu: Option<u64>,
    /// `(busy, softirq, total)` jiffies of the generator's CPUs.
    pub gen_cores: Option<(u64, u64, u64)>,
    /// `(busy, softirq, total)` jiffies of the server's CPUs.
    pub server_cores: Option<(u64, u64, u64)>,
}

/// Take a [`Sample`].
pub fn sample(pid: Option<u32>, gen_cpus: &[usize], server_cpus: &[usize]) -> Sample {
    Sample {
        self_cpu: self_cpu_us(),
        server_cpu: pid.and_then(proc_cpu_us),
        gen_cores: cpu_jiffies(gen_cpus),
        server_cores: pid.and_then(|_| cpu_jiffies(server_cpus)),
    }
}

/// `(busy %, softirq %)` of a set of CPUs between two jiffy samples.
pub fn cores_pct(a: Option<(u64, u64, u64)>, b: Option<(u64, u64, u64)>) -> Option<(f64, f64)> {
    let ((b0, s0, t0), (b1, s1, t1)) = (a?, b?);
    let t = t1.checked_sub(t0).filter(|&t| t > 0)? as f64;
    Some((
        b1.saturating_sub(b0) as f64 * 100.0 / t,
        s1.saturating_sub(s0) as f64 * 100.0 / t,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        for v in [
            0u64,
            1,
            255,
            256,
            257,
            511,
            512,
            1000,
            123_456,
            u64::MAX / 2,
        ] {
            let i = Histogram::index(v);
            assert!(Histogram::lower(i) <= v, "{v}");
            assert!(Histogram::lower(i + 1) > v, "{v}");
        }
        assert!(Histogram::index(u64::MAX) < BUCKETS);
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for v in 1..=1000 {
            h.record(v);
        }
        let p50 = h.quantile(0.5);
        assert!((495..=505).contains(&p50), "{p50}");
        assert_eq!(h.quantile(1.0), 1000.min(h.quantile(1.0)));
        assert_eq!(h.max, 1000);
    }

    #[test]
    fn reads_own_affinity_and_stat() {
        let cpus = allowed_cpus(None);
        assert!(!cpus.is_empty());
        let (busy, soft, total) = cpu_jiffies(&cpus).unwrap();
        assert!(busy <= total && soft <= busy);
    }
}
