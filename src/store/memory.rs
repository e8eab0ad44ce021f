//! The default in-process store (PROTOCOL.md §6.2): client data in a map behind a mutex,
//! shared by all shards of the process. Callbacks run synchronously.

use super::{DoneCallback, GetCallback, HasCallback, Store};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// In-process client data, the default store.
#[derive(Default)]
pub struct MemoryStore {
    clients: Mutex<HashMap<String, HashMap<String, Value>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, HashMap<String, Value>>) -> R) -> R {
        // A poisoned lock only means another thread panicked mid-update of a plain map;
        // the map itself is still valid, so keep serving.
        let mut guard = match self.clients.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut guard)
    }

    /// Number of sessions that currently hold data (for tests and metrics).
    pub fn client_count(&self) -> usize {
        self.with(|m| m.len())
    }
}

impl Store for MemoryStore {
    fn set(&self, sid: &str, key: &str, value: Value, done: DoneCallback) {
        self.with(|m| {
            m.entry(sid.to_owned())
                .or_default()
                .insert(key.to_owned(), value)
        });
        done(Ok(()))
    }

    fn get(&self, sid: &str, key: &str, done: GetCallback) {
        let v = self.with(|m| m.get(sid).and_then(|c| c.get(key)).cloned());
        done(Ok(v))
    }

    fn has(&self, sid: &str, key: &str, done: HasCallback) {
        let v = self.with(|m| m.get(sid).is_some_and(|c| c.contains_key(key)));
        done(Ok(v))
    }

    fn del(&self, sid: &str, key: &str, done: DoneCallback) {
        self.with(|m| {
            if let Some(c) = m.get_mut(sid) {
                c.remove(key);
            }
        });
        done(Ok(()))
    }

    fn destroy_client(&self, sid: &str) {
        self.with(|m| m.remove(sid));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex as StdMutex};

    #[test]
    fn set_get_has_del_round_trip() {
        let s = MemoryStore::new();
        let got = Arc::new(StdMutex::new(Vec::new()));
        s.set("a", "k", Value::from(2), Box::new(|r| assert!(r.is_ok())));
        let g = got.clone();
        s.get(
            "a",
            "k",
            Box::new(move |r| g.lock().unwrap().push(r.unwrap())),
        );
        let g = got.clone();
        s.get(
            "a",
            "missing",
            Box::new(move |r| g.lock().unwrap().push(r.unwrap())),
        );
        s.has("a", "k", Box::new(|r| assert_eq!(r, Ok(true))));
        s.del("a", "k", Box::new(|r| assert!(r.is_ok())));
        s.has("a", "k", Box::new(|r| assert_eq!(r, Ok(false))));
        assert_eq!(*got.lock().unwrap(), vec![Some(Value::from(2)), None]);
        s.destroy_client("a");
        assert_eq!(s.client_count(), 0);
    }
}
