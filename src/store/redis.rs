//! The Redis store, first part: per-client data (`set/get/has/del`, PROTOCOL.md §5.7)
//! in the socket.io 0.9.19 layout — one Redis hash per session, key = the bare session
//! id, `HSET/HGET/HDEL/HEXISTS`, `EXPIRE id {client store expiration}` when the session
//! disconnects (REDIS-STORE.md §5). Values are written as JSON text and read back as
//! JSON, or as a plain string when a reference node stored something that is not JSON
//! (`redis_wire::encode_value`/`decode_value`).
//!
//! Redis I/O never runs on a shard thread: a command thread owns the connection and takes
//! jobs over a channel; completions go back through the [`Store`] callbacks. When Redis
//! goes away the thread reconnects with backoff (logged at warn) and the jobs issued
//! meanwhile fail with [`StoreError::Unavailable`]. The cluster pub/sub half of the
//! RedisStore (the 13 channels) is not wired in yet.

use super::redis_wire::{decode_value, encode_value};
use super::{DoneCallback, GetCallback, HasCallback, Store, StoreError};
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
    Stop,
}

/// Per-client data in Redis, wire-compatible with socket.io 0.9.19.
pub struct RedisStore {
    jobs: flume::Sender<Job>,
}

impl RedisStore {
    /// Connect to `url` (`redis://[:password@]host:port[/db]`) and start the command
    /// thread. Fails when Redis cannot be reached now, so a misconfigured server stops at
    /// start-up with a clear message instead of failing every request later.
    pub fn connect(url: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("bad redis URL {url}: {e}")))?;
        let conn = client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to {url}: {e}")))?;
        let (tx, rx) = flume::unbounded();
        std::thread::Builder::new()
            .name("sio09-redis-cmd".to_owned())
            .spawn(move || command_thread(client, conn, rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the redis thread: {e}")))?;
        info!("redis store connected to {url}");
        Ok(RedisStore { jobs: tx })
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
    }
}

fn fail(job: Job, why: &str) {
    let e = || StoreError::Unavailable(why.to_owned());
    match job {
        Job::Set(.., done) | Job::Del(.., done) => done(Err(e())),
        Job::Get(.., done) => done(Err(e())),
        Job::Has(.., done) => done(Err(e())),
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
                .query::<Option<String>>(conn)
            {
                Ok(v) => done(Ok(v.map(|s| decode_value(&s)))),
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
        Job::Stop => {}
    }
    Ok(())
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
        if let Err((job, e)) = run(c, job) {
            if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
                warn!("redis connection lost: {e}");
                conn = None;
            } else {
                warn!("redis command failed: {e}");
            }
            fail(job, "redis command failed");
        }
    }
}

impl Store for RedisStore {
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
