//! One shard: a monoio runtime on its own thread (io_uring, or the epoll driver when
//! io_uring is refused or `io driver` says `legacy`), its accept loop, its bus consumer
//! and its timer task.

use super::conn;
use super::timers::TICK_MS;
use crate::config::IoDriver;
use crate::server::shard_state::{ConnKind, Remote, ShardState};
use crate::server::ServerInner;
use monoio::{FusionDriver, IoUringDriver, LegacyDriver, RuntimeBuilder};
use std::future::Future;
use std::net::TcpListener;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};

/// io_uring submission queue entries per shard.
const URING_ENTRIES: u32 = 1024;
/// How long a stopping shard waits for writers to flush their close frames.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

/// Run shard `id` on this thread until it is told to stop.
/// Without a listener the shard serves only connections handed to it over the bus.
pub(crate) fn run(
    id: usize,
    srv: Arc<ServerInner>,
    l: Option<TcpListener>,
    rx: flume::Receiver<Remote>,
) {
    let driver = srv.boot.io_driver;
    let fut = shard_main(id, srv, l, rx);
    let res = match driver {
        IoDriver::Legacy => RuntimeBuilder::<LegacyDriver>::new()
            .enable_timer()
            .build()
            .map(|mut rt| {
                info!("shard {id}: epoll driver (io driver = legacy)");
                rt.block_on(fut)
            }),
        IoDriver::Uring => RuntimeBuilder::<IoUringDriver>::new()
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
            .map(|mut rt| {
                info!("shard {id}: io_uring driver");
                rt.block_on(fut)
            }),
        IoDriver::Auto => RuntimeBuilder::<FusionDriver>::new()
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
            .map(|mut rt| {
                match &rt {
                    monoio::FusionRuntime::Uring(_) => info!("shard {id}: io_uring driver"),
                    monoio::FusionRuntime::Legacy(_) => {
                        warn!("shard {id}: io_uring refused by the kernel, using the epoll driver")
                    }
                }
                block_on_fusion(&mut rt, fut)
            }),
    };
    if let Err(e) = res {
        error!("shard {id}: cannot start its runtime: {e}");
    }
    ShardState::detach();
}

/// Ring setup: completions are run cooperatively, when the shard next enters the kernel
/// (it does on every turn of its loop), instead of interrupting it with an IPI for each
/// completion that another CPU (the peer's softirq) queues (kernel 5.19+; older kernels
/// refuse the flags and the ring is built without them).
fn ring_flags() -> io_uring::Builder {
    let mut b = io_uring::IoUring::builder();
    b.setup_coop_taskrun().setup_taskrun_flag();
    b
}

fn block_on_fusion<F: Future>(
    rt: &mut monoio::FusionRuntime<
        monoio::time::TimeDriver<IoUringDriver>,
        monoio::time::TimeDriver<LegacyDriver>,
    >,
    f: F,
) -> F::Output {
    rt.block_on(f)
}

async fn shard_main(
    id: usize,
    srv: Arc<ServerInner>,
    l: Option<TcpListener>,
    rx: flume::Receiver<Remote>,
) {
    let st = ShardState::new(id, srv);
    let listener = match l.map(monoio::net::TcpListener::from_std).transpose() {
        Ok(l) => l,
        Err(e) => {
            error!("shard {id}: listener: {e}");
            return;
        }
    };
    st.spawn(timer_task(st.clone()));
    if id == 0 {
        super::flash::sync(&st);
    }
    // Dropping `stop_tx` ends the accept loop, which closes the listener (the loop's
    // pending accept is cancelled; a task left pending would keep the port open after
    // the shard stops).
    let (stop_tx, stop_rx) = flume::bounded::<()>(1);
    if let Some(listener) = listener {
        st.spawn(accept_loop(st.clone(), listener, stop_rx));
    }
    bus_loop(st.clone(), rx).await;
    drop(stop_tx);
    st.stopping.set(true);
    st.end_all("server shutdown");
    monoio::time::sleep(SHUTDOWN_GRACE).await;
    // End every task still running (idle keep-alive connections, timers, pending reads)
    // so none outlives the runtime: a task left behind keeps the driver and its buffers
    // alive after the shard thread ends (a leak an embedding host would see).
    st.halt();
    let deadline = std::time::Instant::now() + SHUTDOWN_GRACE;
    while st.live_tasks() > 0 && std::time::Instant::now() < deadline {
        monoio::time::sleep(Duration::from_millis(2)).await;
    }
    if st.live_tasks() > 0 {
        warn!(
            "shard {id}: {} task(s) did not end at shutdown",
            st.live_tasks()
        );
    }
}

async fn timer_task(st: Rc<ShardState>) {
    let tick = Duration::from_millis(TICK_MS);
    while !st.stopping.get() {
        monoio::time::sleep(tick).await;
        st.tick.set(st.tick.get().wrapping_add(1));
        st.wake_deferred();
        st.fire_timers();
    }
}

async fn accept_loop(st: Rc<ShardState>, l: monoio::net::TcpListener, stop: flume::Receiver<()>) {
    loop {
        let accepted = monoio::select! {
            r = l.accept() => r,
            _ = stop.recv_async() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                if st.stopping.get() {
                    return;
                }
                match &st.srv.tls {
                    Some(cfg) => st.spawn(super::tls_bridge::serve(
                        st.clone(),
                        stream,
                        peer,
                        cfg.clone(),
                        Vec::new(),
                        false,
                    )),
                    None => st.spawn(conn::serve(
                        st.clone(),
                        stream,
                        peer,
                        Vec::new(),
                        ConnKind::default(),
                    )),
                }
            }
            Err(e) => {
                if st.stopping.get() {
                    return;
                }
                // EMFILE and friends: back off instead of spinning.
                warn!("accept failed: {e}");
                monoio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn bus_loop(st: Rc<ShardState>, rx: flume::Receiver<Remote>) {
    while let Ok(msg) = rx.recv_async().await {
        match msg {
            Remote::Handoff {
                fd,
                pre,
                peer,
                kind,
            } => {
                let std_stream = std::net::TcpStream::from(fd);
                match monoio::net::TcpStream::from_std(std_stream) {
                    Ok(s) => {
                        st.spawn(conn::serve(st.clone(), s, peer, pre, kind));
                    }
                    Err(e) => warn!("connection hand-off failed: {e}"),
                }
            }
            Remote::AdoptTls { fd, pre, peer } => {
                let Some(cfg) = st.srv.tls.clone() else {
                    warn!("a TLS connection from {peer} was adopted without a TLS configuration; closed");
                    continue;
                };
                let std_stream = std::net::TcpStream::from(fd);
                match monoio::net::TcpStream::from_std(std_stream) {
                    Ok(s) => {
                        st.spawn(super::tls_bridge::serve(
                            st.clone(),
                            s,
                            peer,
                            cfg,
                            pre,
                            true,
                        ));
                    }
                    Err(e) => warn!("TLS connection adoption failed: {e}"),
                }
            }
            Remote::Deliver {
                key,
                packet,
                except,
                volatile,
            } => st.deliver_room(&key, &packet, &except, volatile),
            Remote::ToSid {
                sid,
                packet,
                volatile,
            } => st.write_to(&sid, packet, volatile),
            Remote::StoreDone { token, result } => st.complete(token, result),
            Remote::Run(f) => f(&st),
            Remote::Shutdown => return,
        }
    }
}
