//! The Redis store, first part: per-client data (`set/get/has/del`, PROTOCOL.md §5.7)
//! in the socket.io 0.9.19 layout — one Redis hash per session, key = the bare session
//! id, `HSET/HGET/HDEL/HEXISTS`, `EXPIRE id {client store expiration}` when the session
//! disconnects (REDIS-STORE.md §5). Values are stored as 0.9.19 stores them, JavaScript's
//! `String(value)` (`alice`, `42`, `[object Object]`), and read back as that string, so
//! nodes of both kinds read each other's values as their own
//! (`redis_wire::encode_value`/`decode_value`).
//!
//! Redis I/O never runs on a shard thread: a command thread owns the connection and takes
//! jobs over a channel; completions go back through the [`Store`] callbacks. When Redis
//! goes away the thread reconnects with backoff (logged at warn) and the jobs issued
//! meanwhile fail with [`StoreError::Unavailable`]. The cluster pub/sub half of the
//! RedisStore is partly wired: room broadcasts travel between nodes over the `dispatch`
//! channel (sticky sessions: every node delivers to the sessions it holds); the other
//! channels are subscribed and decoded but not acted on yet.

use super::redis_wire::{self, decode_value, encode_value, Channel, Message};
use super::{ClusterSink, DoneCallback, GetCallback, HasCallback, Store, StoreError};
use serde_json::Value;
use std::time::Duration;
use tracing::{info, warn};

/// How long the first connection may take before start-up fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

enum Job {
    Set(String, String, String, DoneCallback),
    Get(String, String, GetCallback),
    Has(String, String, HasCallback),
    Del(String, String, DoneCallback),
    Expire(String, i64),
    Publish(&'static str, String),
    Stop,
}

/// Per-client data in Redis, and room broadcasts between nodes (`dispatch`),
/// wire-compatible with socket.io 0.9.19.
pub struct RedisStore {
    jobs: flume::Sender<Job>,
    /// Where PUBLISH goes: the command thread, or a thread of its own for `redis pub`.
    pub_jobs: flume::Sender<Job>,
    sub_client: redis::Client,
    node_id: u32,
}

/// The Redis servers of a store: one URL for everything, or 0.9's three connections
/// (`redisClient` for commands, `redisPub`, `redisSub`) on servers of their own.
#[derive(Debug, Clone, Default)]
pub struct RedisUrls {
    /// The `store` URL.
    pub store: String,
    /// `redis pub`: where to PUBLISH (default: the store URL).
    pub publish: Option<String>,
    /// `redis sub`: where to SUBSCRIBE (default: the store URL).
    pub subscribe: Option<String>,
    /// `redis client`: where client data lives (default: the store URL).
    pub client: Option<String>,
}

fn open_client(url: &str) -> Result<(redis::Client, redis::Connection), StoreError> {
    let client = redis::Client::open(url)
        .map_err(|e| StoreError::Unavailable(format!("bad redis URL {url}: {e}")))?;
    let conn = client
        .get_connection_with_timeout(CONNECT_TIMEOUT)
        .map_err(|e| StoreError::Unavailable(format!("cannot connect to {url}: {e}")))?;
    Ok((client, conn))
}

fn spawn_command_thread(
    name: &str,
    client: redis::Client,
    conn: redis::Connection,
) -> Result<flume::Sender<Job>, StoreError> {
    let (tx, rx) = flume::unbounded();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || command_thread(client, conn, rx))
        .map_err(|e| StoreError::Unavailable(format!("cannot start the redis thread: {e}")))?;
    Ok(tx)
}

impl RedisStore {
    /// Connect to `url` (`redis://[:password@]host:port[/db]`) and start the command
    /// thread. Fails when Redis cannot be reached now, so a misconfigured server stops at
    /// start-up with a clear message instead of failing every request later.
    pub fn connect(url: &str) -> Result<RedisStore, StoreError> {
        RedisStore::connect_urls(&RedisUrls {
            store: url.to_owned(),
            ..RedisUrls::default()
        })
    }

    /// Connect with separate servers for commands, publishing and subscribing (0.9's
    /// `redisClient`, `redisPub`, `redisSub`); every one must be reachable now.
    pub fn connect_urls(urls: &RedisUrls) -> Result<RedisStore, StoreError> {
        let cmd_url = urls.client.as_deref().unwrap_or(&urls.store);
        let pub_url = urls.publish.as_deref().unwrap_or(&urls.store);
        let sub_url = urls.subscribe.as_deref().unwrap_or(&urls.store);
        let (client, conn) = open_client(cmd_url)?;
        let jobs = spawn_command_thread("sio09-redis-cmd", client, conn)?;
        let pub_jobs = if pub_url == cmd_url {
            jobs.clone()
        } else {
            let (client, conn) = open_client(pub_url)?;
            spawn_command_thread("sio09-redis-pub", client, conn)?
        };
        // Checked now so a wrong subscriber URL fails at start-up, like the others.
        let (sub_client, _probe) = open_client(sub_url)?;
        let node_id = redis_wire::random_node_id();
        info!("redis store connected to {cmd_url} (node id {node_id})");
        Ok(RedisStore {
            jobs,
            pub_jobs,
            sub_client,
            node_id,
        })
    }

    /// Cluster messages this process could not publish because Redis was unavailable
    /// (process-wide; they are lost: pub/sub is at-most-once).
    pub fn lost_publishes() -> u64 {
        LOST_PUBLISHES.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn submit(&self, job: Job) {
        if let Err(flume::SendError(job)) = self.jobs.send(job) {
            fail(job, "redis command thread stopped");
        }
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        let _ = self.jobs.send(Job::Stop);
        let _ = self.pub_jobs.send(Job::Stop);
    }
}

/// Cluster messages this process could not publish because Redis was unavailable
/// (pub/sub is at-most-once; see [`RedisStore::lost_publishes`]).
static LOST_PUBLISHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn fail(job: Job, why: &str) {
    let e = || StoreError::Unavailable(why.to_owned());
    match job {
        Job::Set(.., done) | Job::Del(.., done) => done(Err(e())),
        Job::Get(.., done) => done(Err(e())),
        Job::Has(.., done) => done(Err(e())),
        Job::Publish(channel, _) => {
            let n = LOST_PUBLISHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            // 1st, 10th, 100th, …: every outage is visible without flooding the log.
            if n.to_string().trim_end_matches('0') == "1" {
                warn!("redis store: {n} cluster message(s) lost so far ({why}; last on {channel})");
            }
        }
        Job::Expire(..) | Job::Stop => {}
    }
}

fn run(conn: &mut redis::Connection, job: Job) -> Result<(), (Job, redis::RedisError)> {
    match job {
        Job::Set(sid, key, value, done) => {
            match redis::cmd("HSET")
                .arg(&sid)
                .arg(&key)
                .arg(&value)
                .query::<i64>(conn)
            {
                Ok(_) => done(Ok(())),
                Err(e) => return Err((Job::Set(sid, key, value, done), e)),
            }
        }
        Job::Get(sid, key, done) => {
            match redis::cmd("HGET")
                .arg(&sid)
                .arg(&key)
                .query::<Option<Vec<u8>>>(conn)
            {
                Ok(v) => done(Ok(v.map(|b| decode_value(&b)))),
                Err(e) => return Err((Job::Get(sid, key, done), e)),
            }
        }
        Job::Has(sid, key, done) => {
            match redis::cmd("HEXISTS").arg(&sid).arg(&key).query::<i64>(conn) {
                Ok(n) => done(Ok(n == 1)),
                Err(e) => return Err((Job::Has(sid, key, done), e)),
            }
        }
        Job::Del(sid, key, done) => {
            match redis::cmd("HDEL").arg(&sid).arg(&key).query::<i64>(conn) {
                Ok(_) => done(Ok(())),
                Err(e) => return Err((Job::Del(sid, key, done), e)),
            }
        }
        Job::Expire(sid, secs) => {
            if let Err(e) = redis::cmd("EXPIRE").arg(&sid).arg(secs).query::<i64>(conn) {
                return Err((Job::Expire(sid, secs), e));
            }
        }
        Job::Publish(channel, payload) => {
            if let Err(e) = redis::cmd("PUBLISH")
                .arg(channel)
                .arg(&payload)
                .query::<i64>(conn)
            {
                return Err((Job::Publish(channel, payload), e));
            }
        }
        Job::Stop => {}
    }
    Ok(())
}

/// Subscribe to the 13 channels (REDIS-STORE.md §2 order) and sio09's own two, and hand what other nodes
/// publish to `sink`; reconnects with backoff and resubscribes. Pub/sub is at-most-once:
/// what was published while this connection was down is lost; the outage is logged and
/// counted (`lost_connections`).
fn subscriber_thread(client: redis::Client, node_id: u32, sink: ClusterSink) {
    let mut backoff = Duration::from_millis(100);
    let mut outages: u64 = 0;
    loop {
        let mut conn = match client.get_connection_with_timeout(CONNECT_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                warn!("redis subscriber unavailable ({e}); retrying in {backoff:?}");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let mut ps = conn.as_pubsub();
        let names: Vec<&str> = Channel::ALL
            .iter()
            .chain(Channel::SIO09.iter())
            .map(|c| c.name())
            .collect();
        if let Err(e) = ps.subscribe(&names) {
            warn!("redis subscribe failed: {e}");
            continue;
        }
        backoff = Duration::from_millis(100);
        info!(
            "redis subscriber listening on {} channels (outages so far: {outages})",
            names.len()
        );
        let mut bad: u64 = 0;
        loop {
            let msg = match ps.get_message() {
                Ok(m) => m,
                Err(e) => {
                    outages += 1;
                    warn!(
                        "redis subscriber lost its connection ({e}); messages published \
                         meanwhile are lost (pub/sub is at-most-once; outage #{outages})"
                    );
                    break;
                }
            };
            let Some(channel) = Channel::from_name(msg.get_channel_name()) else {
                continue;
            };
            match redis_wire::decode_envelope(channel, msg.get_payload_bytes(), node_id) {
                Ok(Some(r)) => sink(r),
                Ok(None) => {}
                Err(e) => {
                    bad += 1;
                    warn!(
                        "bad message on redis channel {} ignored ({bad} so far): {e}",
                        channel.name()
                    );
                }
            }
        }
    }
}

fn command_thread(client: redis::Client, conn: redis::Connection, rx: flume::Receiver<Job>) {
    let mut conn = Some(conn);
    let mut backoff = Duration::from_millis(100);
    while let Ok(job) = rx.recv() {
        if matches!(job, Job::Stop) {
            return;
        }
        if conn.is_none() {
            match client.get_connection_with_timeout(CONNECT_TIMEOUT) {
                Ok(c) => {
                    info!("redis store reconnected");
                    backoff = Duration::from_millis(100);
                    conn = Some(c);
                }
                Err(e) => {
                    warn!("redis store unavailable ({e}); retrying in {backoff:?}");
                    fail(job, "redis unavailable");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let Err((job, e)) = run(c, job) else { continue };
        if !(e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()) {
            warn!("redis command failed: {e}");
            fail(job, "redis command failed");
            continue;
        }
        // The connection broke since the last command (e.g. Redis restarted): reconnect
        // at once and retry this command once, so one restart costs no command.
        warn!("redis connection lost: {e}");
        conn = None;
        match client.get_connection_with_timeout(CONNECT_TIMEOUT) {
            Ok(mut c) => {
                info!("redis store reconnected");
                match run(&mut c, job) {
                    Ok(()) => conn = Some(c),
                    Err((job, e)) => {
                        warn!("redis command failed after reconnecting: {e}");
                        fail(job, "redis command failed");
                    }
                }
            }
            Err(e2) => {
                warn!("redis store unavailable ({e2})");
                fail(job, "redis unavailable");
            }
        }
    }
}

impl Store for RedisStore {
    fn start(&self, sink: ClusterSink) {
        let (client, node_id) = (self.sub_client.clone(), self.node_id);
        let spawned = std::thread::Builder::new()
            .name("sio09-redis-sub".to_owned())
            .spawn(move || subscriber_thread(client, node_id, sink));
        if let Err(e) = spawned {
            warn!("cannot start the redis subscriber thread: {e}");
        }
    }

    fn node_id(&self) -> Option<u32> {
        Some(self.node_id)
    }

    fn publish(&self, msg: &Message, ext: &[(&str, &str)]) {
        let payload = redis_wire::encode_ext(self.node_id, msg, ext);
        let _ = self
            .pub_jobs
            .send(Job::Publish(msg.channel().name(), payload));
    }

    fn set(&self, sid: &str, key: &str, value: Value, done: DoneCallback) {
        self.submit(Job::Set(
            sid.to_owned(),
            key.to_owned(),
            encode_value(&value),
            done,
        ));
    }

    fn get(&self, sid: &str, key: &str, done: GetCallback) {
        self.submit(Job::Get(sid.to_owned(), key.to_owned(), done));
    }

    fn has(&self, sid: &str, key: &str, done: HasCallback) {
        self.submit(Job::Has(sid.to_owned(), key.to_owned(), done));
    }

    fn del(&self, sid: &str, key: &str, done: DoneCallback) {
        self.submit(Job::Del(sid.to_owned(), key.to_owned(), done));
    }

    fn client_disconnected(&self, sid: &str, expiration_secs: f64) {
        // As 0.9.19: EXPIRE at disconnect, so Redis drops the hash by itself.
        let secs = expiration_secs.max(0.0).round() as i64;
        self.submit(Job::Expire(sid.to_owned(), secs));
    }

    fn destroy_client(&self, _sid: &str) {}
}
