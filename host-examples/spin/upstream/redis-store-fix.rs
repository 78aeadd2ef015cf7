//! A compare-and-swap and a get-many for Spin's Redis key-value store that fichier can
//! rely on (see README.md beside this file). Written for this repository against the
//! traits of `spin-factor-key-value` (`Store`, `Cas`, `SwapError`) and the `redis` crate's
//! async API; a proposal for `crates/key-value-redis/src/store.rs` upstream, not built
//! here.

use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Client};
use spin_factor_key_value::{Cas, Error, SwapError, log_error};
use tokio::sync::Mutex;

/// One compare-and-swap: its key and a connection of its own. `WATCH` is per
/// connection, so this connection is opened for this swap and used by nothing else.
pub struct RedisCas {
    key: String,
    bucket_rep: u32,
    connection: Mutex<MultiplexedConnection>,
}

impl RedisCas {
    /// A new connection for one compare-and-swap (a multiplexed connection opened for
    /// this swap alone: no other request shares its `WATCH` state).
    pub async fn open(client: &Client, bucket_rep: u32, key: &str) -> Result<Self, Error> {
        let connection = client.get_multiplexed_async_connection().await.map_err(log_error)?;
        Ok(Self { key: key.to_owned(), bucket_rep, connection: Mutex::new(connection) })
    }
}

#[spin_core::async_trait]
impl Cas for RedisCas {
    /// `WATCH key`, then `GET key`, on this swap's connection.
    async fn current(&self, max_result_bytes: usize) -> Result<Option<Vec<u8>>, Error> {
        let mut c = self.connection.lock().await;
        redis::cmd("WATCH").arg(&self.key).exec_async(&mut *c).await.map_err(log_error)?;
        let value: Option<Vec<u8>> = c.get(&self.key).await.map_err(log_error)?;
        if value.as_ref().map_or(0, Vec::len) > max_result_bytes {
            return Err(Error::Other(format!("query result exceeds limit of {max_result_bytes} bytes")));
        }
        Ok(value)
    }

    /// `MULTI` / `SET` / `EXEC`: a nil reply means the watched key changed (the
    /// transaction was aborted); `EXEC` ends the watch either way.
    async fn swap(&self, value: Vec<u8>) -> Result<(), SwapError> {
        let mut c = self.connection.lock().await;
        let reply: Result<Option<()>, redis::RedisError> =
            redis::pipe().atomic().set(&self.key, value).ignore().query_async(&mut *c).await;
        match reply {
            Ok(Some(())) => Ok(()),
            Ok(None) => Err(SwapError::CasFailed("the key changed since it was read".into())),
            Err(e) => {
                // The transaction did not run: release the watch (UNWATCH takes no key).
                let _ = redis::cmd("UNWATCH").exec_async(&mut *c).await;
                Err(SwapError::Other(format!("{e:?}")))
            }
        }
    }

    async fn bucket_rep(&self) -> u32 {
        self.bucket_rep
    }

    async fn key(&self) -> String {
        self.key.clone()
    }
}

/// `MGET`: the values of `keys`, each paired with its key, absent ones as `None`.
pub async fn get_many(
    connection: &mut MultiplexedConnection,
    keys: Vec<String>,
) -> Result<Vec<(String, Option<Vec<u8>>)>, Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<Option<Vec<u8>>> = connection.mget(&keys).await.map_err(log_error)?;
    Ok(keys.into_iter().zip(values).collect())
}
