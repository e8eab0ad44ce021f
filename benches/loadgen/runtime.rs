//! The monoio runtime of each generator thread, by driver.

use crate::cli::Driver;
use monoio::{FusionDriver, IoUringDriver, LegacyDriver, RuntimeBuilder};

/// io_uring submission queue entries per generator thread.
const URING_ENTRIES: u32 = 1024;

/// Run `f` on a monoio runtime of the chosen driver; `Err` if the runtime cannot start.
pub fn run_runtime<F: std::future::Future<Output = ()>>(
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
                .uring_builder(ring_flags())
                .enable_timer()
                .build()
                .or_else(|_| {
                    RuntimeBuilder::<IoUringDriver>::new()
                        .with_entries(URING_ENTRIES)
                        .enable_timer()
                        .build()
                })
                .map_err(|e| e.to_string())?;
            rt.block_on(f);
            Ok("io_uring")
        }
        Driver::Auto => {
            let mut rt = RuntimeBuilder::<FusionDriver>::new()
                .with_entries(URING_ENTRIES)
                .uring_builder(ring_flags())
                .enable_timer()
                .build()
                .or_else(|_| {
                    RuntimeBuilder::<FusionDriver>::new()
                        .with_entries(URING_ENTRIES)
                        .enable_timer()
                        .build()
                })
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

/// Ring setup as the server's shards use it: completions for this thread's sockets are
/// run when it next enters the kernel instead of interrupting it (and the sending
/// server) with an inter-processor interrupt per readable socket. Kernels before 5.19
/// refuse the flags; the ring is then built without them.
fn ring_flags() -> io_uring::Builder {
    let mut b = io_uring::IoUring::builder();
    b.setup_coop_taskrun().setup_taskrun_flag();
    b
}

/// The driver name for the report (`Auto` probes io_uring once).
pub fn driver_name(d: Driver) -> &'static str {
    match d {
        Driver::Legacy => "epoll",
        Driver::Uring => "io_uring",
        Driver::Auto => match RuntimeBuilder::<IoUringDriver>::new()
            .with_entries(8)
            .build()
        {
            Ok(_) => "io_uring",
            Err(_) => "epoll (io_uring refused)",
        },
    }
}
