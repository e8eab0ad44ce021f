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
