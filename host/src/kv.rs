//! Spin's key-value store (`fermyon:spin/key-value@2.0.0`) as Spin 3.6.3 provides it
//! (spinframework/spin v3.6.3 crates/factor-key-value/src/host.rs, lib.rs;
//! crates/runtime-config/src/lib.rs `key_value_config_resolver`):
//!
//! - the one store without runtime config is `default`; a component that lists another
//!   label in `key_value_stores` is refused when the app loads ("unknown key_value_stores
//!   label"), as Spin refuses it (this host reads no runtime config);
//! - `open` of a label the component does not list is `access-denied`; each instance holds
//!   at most 256 open stores (`store-table-full`), a dropped one frees its place;
//! - `get` of a missing key is `none`, `delete` of one is fine, values are bytes.
//!
//! The default store lives in this process's memory, shared by every component and request
//! of the app, as on SpinKube (the shim runs Spin without a state directory, so Spin keeps
//! the default store in an in-memory SQLite database per pod). `spin up` keeps it in
//! `.spin/sqlite_key_value.db` across restarts instead; the app only caches in it, so
//! nothing depends on that difference.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use wasmtime::component::Resource;

use crate::bindings::key_value::{self, Error};
use crate::state::HostState;

/// The label of Spin's built-in store.
pub const DEFAULT_LABEL: &str = "default";

/// Spin's `DEFAULT_STORE_TABLE_CAPACITY`: open stores per instance.
pub const TABLE_CAPACITY: usize = 256;

/// The labels a component may list in `key_value_stores`: those the host defines.
pub fn check_labels(labels: &[String]) -> anyhow::Result<()> {
    match labels.iter().find(|l| l.as_str() != DEFAULT_LABEL) {
        Some(label) => anyhow::bail!(
            "unknown key_value_stores label {label:?} (only {DEFAULT_LABEL:?} exists without \
             runtime config)"
        ),
        None => Ok(()),
    }
}

/// The app's stores (only `default`), shared by every instance. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Stores {
    default: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl Stores {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> T) -> T {
        let mut map = self.default.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }
}

/// What an instance may open and has open.
#[derive(Debug, Default)]
pub struct InstanceStores {
    /// The component's `key_value_stores`.
    pub allowed: Arc<HashSet<String>>,
    pub stores: Stores,
    /// Stores open now (at most [`TABLE_CAPACITY`]).
    open: usize,
}

impl InstanceStores {
    pub fn new(allowed: Arc<HashSet<String>>, stores: Stores) -> Self {
        Self {
            allowed,
            stores,
            open: 0,
        }
    }
}

/// An open store: the resource the guest holds.
#[derive(Debug)]
pub struct OpenStore {
    label: String,
}

impl HostState {
    /// The store behind `store` (always the default one: no other can be opened).
    fn kv(&self, store: &Resource<OpenStore>) -> wasmtime::Result<&Stores> {
        let open = self.table.get(store)?;
        debug_assert_eq!(open.label, DEFAULT_LABEL);
        Ok(&self.kv.stores)
    }
}

impl key_value::Host for HostState {}

impl key_value::HostStore for HostState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<OpenStore>, Error>> {
        if !self.kv.allowed.contains(&label) {
            return Ok(Err(Error::AccessDenied));
        }
        if label != DEFAULT_LABEL {
            // Unreachable: the app was refused at load (`check_labels`).
            return Ok(Err(Error::NoSuchStore));
        }
        if self.kv.open >= TABLE_CAPACITY {
            return Ok(Err(Error::StoreTableFull));
        }
        let store = self.table.push(OpenStore { label })?;
        self.kv.open += 1;
        Ok(Ok(store))
    }

    async fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        Ok(Ok(self.kv(&store)?.with(|m| m.get(&key).cloned())))
    }

    async fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.kv(&store)?.with(|m| m.insert(key, value));
        Ok(Ok(()))
    }

    async fn delete(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), Error>> {
        self.kv(&store)?.with(|m| m.remove(&key));
        Ok(Ok(()))
    }

    async fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, Error>> {
        Ok(Ok(self.kv(&store)?.with(|m| m.contains_key(&key))))
    }

    async fn get_keys(
        &mut self,
        store: Resource<OpenStore>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        Ok(Ok(self.kv(&store)?.with(|m| m.keys().cloned().collect())))
    }

    async fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        self.kv.open = self.kv.open.saturating_sub(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_default_label_exists_without_runtime_config() {
        assert!(check_labels(&[]).is_ok());
        assert!(check_labels(&["default".into()]).is_ok());
        let refused = check_labels(&["default".into(), "cache".into()]).unwrap_err();
        assert!(refused.to_string().contains("\"cache\""), "{refused}");
    }

    #[test]
    fn clones_of_the_stores_share_one_default_store() {
        let stores = Stores::default();
        let other = stores.clone();
        stores.with(|m| m.insert("k".into(), b"v".to_vec()));
        assert_eq!(other.with(|m| m.get("k").cloned()), Some(b"v".to_vec()));
    }
}
