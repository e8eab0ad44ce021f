//! The per-thread coordinator: spawns the thread's clients in batches, waits for the global
//! start, opens the gate, waits for its clients to finish and sends the results.

use crate::local::Local;
use crate::plan::{now_ns, Scenario, ThreadResult};
use crate::{broadcast, echo, idle, poll, statics, storm};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Run one generator thread: connect its clients (at most `connect_batch` at a time), wait for
/// the global start, open the gate, wait for its clients to finish (or the drain deadline) and
/// send its results.
pub async fn thread_main(
    l: Rc<Local>,
    thread: usize,
    clients: Vec<usize>,
    with_sender: bool,
    tx: flume::Sender<ThreadResult>,
) {
    let storm = l.plan.scenario == Scenario::Storm;
    let total = clients.len() + with_sender as usize + storm as usize;
    let batch = l.plan.connect_batch.max(1);
    let tick = Duration::from_millis(1);
    if with_sender {
        l.pending.set(l.pending.get() + 1);
        monoio::spawn(broadcast::sender_client(l.clone()));
    }
    for idx in clients {
        while l.pending.get() >= batch {
            monoio::time::sleep(tick).await;
        }
        l.pending.set(l.pending.get() + 1);
        match l.plan.scenario {
            Scenario::Echo | Scenario::Ack => monoio::spawn(echo::echo_client(l.clone(), idx)),
            Scenario::Broadcast => monoio::spawn(broadcast::receiver_client(l.clone(), idx)),
            Scenario::Poll => monoio::spawn(poll::poll_client(l.clone(), idx)),
            Scenario::Static => monoio::spawn(statics::static_client(l.clone(), idx)),
            Scenario::Idle => monoio::spawn(idle::idle_client(l.clone(), idx)),
            Scenario::Storm => unreachable!("storm clients are started by the driver"),
        };
    }
    loop {
        let t0 = l.g.t0.load(Ordering::Acquire);
        if t0 != 0 {
            l.t0.set(t0);
            l.ms.set(l.g.measure_start.load(Ordering::Relaxed));
            l.end.set(l.g.end.load(Ordering::Relaxed));
            break;
        }
        monoio::time::sleep(tick).await;
    }
    l.gate.open();
    if storm {
        monoio::spawn(storm::storm_driver(l.clone(), thread));
    }
    let deadline = l.end.get() + l.plan.drain_ns;
    while l.done.get() < total && now_ns() < deadline {
        monoio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = tx.send(l.result(total));
}
