//! Messages between shards (DESIGN.md §2): one unbounded MPSC channel per shard.
//! FIFO per sender, so packets one shard sends to another keep their order.

use crate::server::shard_state::Remote;

/// One sender per shard (index = shard id) and the matching receivers.
pub(crate) fn channels(n: usize) -> (Vec<flume::Sender<Remote>>, Vec<flume::Receiver<Remote>>) {
    (0..n).map(|_| flume::unbounded()).unzip()
}
