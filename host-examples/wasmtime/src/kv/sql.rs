//! [`SqlKv`]: the two buckets as two tables of a PostgreSQL or MariaDB/MySQL database the
//! shop already runs (`--db postgres://…`, `--db mysql://…`), or the keys in a database
//! of their own (`--keys-db URL`, other credentials: a dump of the data database then
//! holds no key).
//!
//! The same semantics as the SQLite store (the shared suite in `tests/kv_backends.rs`
//! runs against all three):
//! - **compare-and-swap by a version column**: every write draws a new version from a
//!   source that never repeats (a PostgreSQL sequence; MariaDB/MySQL's `UUID_SHORT()`),
//!   and a swap commits only if the row still has the version its reader saw (or is
//!   still absent), so several processes on one database never lose an update;
//! - **an answer only after the commit**: outside a batch every write is its own
//!   transaction (the server's `synchronous_commit` / `innodb_flush_log_at_trx_commit`
//!   decide what durable means: both default to a flush per commit);
//! - **batches in one transaction** ([`KvBackend::begin`], the CLI's calls and the
//!   import's chunks): both tables in one transaction when they share a database; on two
//!   databases the keys commit first, with the SQLite store's early commits where that
//!   order would otherwise break (see [`SqlKv::batch_order`]);
//! - **get-many in one round trip** (`WHERE k IN (…)`), `list-keys` in byte order of the
//!   keys (PostgreSQL `COLLATE "C"`, MariaDB/MySQL `VARBINARY`: the order Rust's strings
//!   and SQLite sort in);
//! - **a typed error, never a panic**, when the server is down, slow (every call is
//!   bounded by `timeout_ms`, stopped by the server itself, and given up by the client
//!   only after a margin — 0.5 s, 2 s on MariaDB/MySQL — so that a statement waiting on a
//!   lock is never abandoned by the client and then committed by the server) or refuses; after a
//!   connection error the pool is replaced, so the next call reconnects.
//!
//! Settings ride on the URL's query and are removed before the driver sees it:
//! `pool` (connections, default 8), `timeout_ms` (default 5000), `prefix` (tables named
//! `<prefix>fichier_data` and `<prefix>fichier_keys`: the WordPress plugin passes the
//! site's table prefix).
//!
//! In [`SqlKv::shared`] mode (`fichier serve`, the PHP library: several processes on one
//! database) there is no batch and calls run concurrently: each call's writes share one
//! transaction of its own ([`KvBackend::enter`] … [`KvBackend::durable`], which commits
//! before the call is answered) — one commit per call instead of one per write, and a
//! process killed mid-call leaves none of that call's writes. A swap inside it that waits
//! on another call's row sees that call's commit and loses, as between two single writes.
//! With the keys in a database of their own, every write commits on its own, as on Spin.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, RwLock};
use std::thread::ThreadId;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, Connection, Row, Transaction};

use super::file::KEYS as KEYS_LABEL;
use super::{KvBackend, KvError, LIST_PAGE, Versioned, incremented};

/// The longest key stored (the component's keys are far shorter; an index entry must fit
/// MariaDB/MySQL's limit).
pub const MAX_KEY: usize = 512;

/// The SQL dialect of a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
}

/// A database URL and fichier's settings read off it.
#[derive(Clone, Debug)]
pub struct SqlUrl {
    /// The URL the driver gets (fichier's settings removed).
    url: String,
    /// The same with the password hidden, for messages.
    shown: String,
    pub dialect: Dialect,
    pub pool: u32,
    pub timeout: Duration,
    pub prefix: String,
}

/// A store's place as messages show it: a database URL with its password and query
/// hidden ([`SqlUrl::shown`]), a path as it is.
pub fn shown_place(place: &str) -> String {
    if is_url(place) {
        SqlUrl::parse(place).map(|u| u.shown().to_string()).unwrap_or_else(|_| "the database URL".into())
    } else {
        place.to_string()
    }
}

/// Whether `db` names a database server rather than a SQLite file.
pub fn is_url(db: &str) -> bool {
    ["postgres://", "postgresql://", "mysql://", "mariadb://"].iter().any(|s| db.starts_with(s))
}

impl SqlUrl {
    /// Read `db`: a `postgres://`, `postgresql://`, `mysql://` or `mariadb://` URL.
    pub fn parse(db: &str) -> Result<Self, KvError> {
        let bad = |rule: &str| KvError::Other(format!("db: {rule}"));
        let mut url = url::Url::parse(db).map_err(|e| bad(&format!("not a URL ({e})")))?;
        let dialect = match url.scheme() {
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" => Dialect::MySql,
            "mariadb" => {
                url.set_scheme("mysql").map_err(|()| bad("mariadb:// could not be read as mysql://"))?;
                Dialect::MySql
            }
            other => return Err(bad(&format!("scheme {other} is not postgres, mysql or mariadb"))),
        };
        // A server, named: `postgres:/x` (no `//`) would read as a path holding all the rest,
        // credentials included.
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("a database URL names its server: postgres://user@host/database"));
        }
        if url.fragment().is_some() {
            return Err(bad("a database URL has no #fragment (a password holding # is written %23)"));
        }
        let (mut pool, mut timeout_ms, mut prefix) = (8u32, 5000u64, String::new());
        let mut kept = Vec::new();
        for (name, value) in url.query_pairs() {
            match &*name {
                "pool" => {
                    pool = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=256).contains(n))
                        .ok_or_else(|| bad("pool must be 1 to 256"))?
                }
                "timeout_ms" => {
                    timeout_ms = value
                        .parse()
                        .ok()
                        .filter(|n| (10..=600_000).contains(n))
                        .ok_or_else(|| bad("timeout_ms must be 10 to 600000"))?
                }
                "prefix" => {
                    if value.len() > 32 || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        return Err(bad("prefix must be at most 32 letters, digits or underscores"));
                    }
                    prefix = value.into_owned();
                }
                _ => kept.push((name.into_owned(), value.into_owned())),
            }
        }
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        // Shown: the server and the database, the password masked, no query (the driver's
        // parameters may carry a password too).
        let mut shown = url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        shown.set_query(None);
        Ok(Self {
            url: url.into(),
            shown: shown.into(),
            dialect,
            pool,
            timeout: Duration::from_millis(timeout_ms),
            prefix,
        })
    }

    /// The URL with its password hidden.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// One database: its pool (replaced after a connection error) and how to rebuild it.
struct Db {
    url: SqlUrl,
    pool: RwLock<AnyPool>,
    /// The client's runtime (a pool is made inside it).
    rt: tokio::runtime::Handle,
}

impl Db {
    fn new(url: SqlUrl, rt: &tokio::runtime::Handle) -> Result<Self, KvError> {
        Ok(Self { pool: RwLock::new(Self::new_pool(&url, rt)?), url, rt: rt.clone() })
    }

    fn new_pool(url: &SqlUrl, rt: &tokio::runtime::Handle) -> Result<AnyPool, KvError> {
        let _inside = rt.enter();
        sqlx::any::install_default_drivers();
        let options: AnyConnectOptions =
            url.url.parse().map_err(|e| KvError::Other(format!("db {}: {e}", url.shown)))?;
        let (dialect, timeout) = (url.dialect, url.timeout);
        Ok(AnyPoolOptions::new()
            .max_connections(url.pool)
            .min_connections(0)
            .acquire_timeout(timeout)
            // A ping per call would double the round trips; a broken connection is
            // replaced with the pool instead (see `Db::check`).
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    for sql in session_settings(dialect, timeout) {
                        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options))
    }

    fn pool(&self) -> AnyPool {
        self.pool.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// After an error: a lost connection replaces the pool (the next call reconnects).
    fn check(&self, e: &sqlx::Error) {
        if matches!(
            e,
            sqlx::Error::Io(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::WorkerCrashed
        ) && let Ok(fresh) = Self::new_pool(&self.url, &self.rt)
        {
            *self.pool.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        }
    }
}

/// What every connection sets first: the statement timeout, and on MariaDB/MySQL the
/// isolation a compare-and-swap needs (a re-read inside a batch must see the commit that
/// made its swap lose: READ COMMITTED, PostgreSQL's default).
fn session_settings(dialect: Dialect, timeout: Duration) -> Vec<String> {
    let ms = timeout.as_millis();
    match dialect {
        Dialect::Postgres => vec![format!("SET statement_timeout = {ms}"), format!("SET lock_timeout = {ms}")],
        Dialect::MySql => vec![
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".into(),
            format!("SET SESSION innodb_lock_wait_timeout = {}", timeout.as_millis().div_ceil(1000).max(1)),
            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')".into(),
        ],
    }
}

/// A table: its label, database and statements.
struct Table {
    label: String,
    /// Index in [`SqlKv::dbs`].
    db: usize,
    sql: Statements,
}

/// The statements of one table, in its dialect.
struct Statements {
    dialect: Dialect,
    name: String,
    get: String,
    set: String,
    delete: String,
    insert_if_absent: String,
    update_if_at: String,
    list_first: String,
    list_after: String,
}

impl Statements {
    fn new(dialect: Dialect, table: &str, sequence: &str) -> Self {
        let (p, version) = match dialect {
            Dialect::Postgres => (["$1", "$2", "$3"], format!("nextval('{sequence}')")),
            // UUID_SHORT() never repeats on a server and grows; its top bit is kept
            // clear for a signed BIGINT (it is set only for server ids past 127).
            Dialect::MySql => (["?", "?", "?"], "(UUID_SHORT() & 9223372036854775807)".into()),
        };
        let [a, b, c] = p;
        let set = match dialect {
            Dialect::Postgres => format!(
                "INSERT INTO {table} (k, v, ver) VALUES ({a}, {b}, {version}) \
                 ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, ver = EXCLUDED.ver"
            ),
            Dialect::MySql => format!(
                "INSERT INTO {table} (k, v, ver) VALUES ({a}, {b}, {version}) \
                 ON DUPLICATE KEY UPDATE v = VALUES(v), ver = VALUES(ver)"
            ),
        };
        let insert_if_absent = match dialect {
            Dialect::Postgres => {
                format!("INSERT INTO {table} (k, v, ver) VALUES ({a}, {b}, {version}) ON CONFLICT (k) DO NOTHING")
            }
            // A duplicate key is an error the swap reads as lost (it does not end the
            // transaction there).
            Dialect::MySql => format!("INSERT INTO {table} (k, v, ver) VALUES ({a}, {b}, {version})"),
        };
        Self {
            dialect,
            name: table.into(),
            get: format!("SELECT ver, v FROM {table} WHERE k = {a}"),
            set,
            delete: format!("DELETE FROM {table} WHERE k = {a}"),
            insert_if_absent,
            update_if_at: format!("UPDATE {table} SET v = {a}, ver = {version} WHERE k = {b} AND ver = {c}"),
            list_first: format!("SELECT k FROM {table} ORDER BY k LIMIT {LIST_PAGE}"),
            list_after: format!("SELECT k FROM {table} WHERE k > {a} ORDER BY k LIMIT {LIST_PAGE}"),
        }
    }

    /// `SELECT k, v … WHERE k IN (n placeholders)`.
    fn get_many(&self, n: usize) -> String {
        let marks: Vec<String> = match self.dialect {
            Dialect::Postgres => (1..=n).map(|i| format!("${i}")).collect(),
            Dialect::MySql => vec!["?".to_string(); n],
        };
        format!("SELECT k, v FROM {} WHERE k IN ({})", self.name, marks.join(", "))
    }

    /// The statements that create the table (and the version sequence) if absent.
    fn create(&self, sequence: &str) -> Vec<String> {
        let table = &self.name;
        match self.dialect {
            Dialect::Postgres => vec![
                format!("CREATE SEQUENCE IF NOT EXISTS {sequence}"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {table} (k TEXT COLLATE \"C\" PRIMARY KEY, v BYTEA NOT NULL, ver BIGINT NOT NULL)"
                ),
            ],
            Dialect::MySql => vec![format!(
                "CREATE TABLE IF NOT EXISTS {table} (k VARBINARY({MAX_KEY}) NOT NULL PRIMARY KEY, \
                 v LONGBLOB NOT NULL, ver BIGINT NOT NULL) ENGINE=InnoDB"
            )],
        }
    }
}

/// The open batch: a transaction per database, and what the SQLite store's order rule
/// needs to know of them (two databases only).
struct Batch {
    txs: Vec<Option<Transaction<'static, Any>>>,
    data_dirty: bool,
    keys_replaced: bool,
    /// A statement of the batch failed (see [`Spoiled`]).
    spoiled: Spoiled,
}

/// A transaction one of whose statements failed. The server may have rolled it back
/// whole (MariaDB/MySQL after a deadlock, then running the next statements on their own),
/// or refuse everything until its end (PostgreSQL, whose `COMMIT` then answers
/// `ROLLBACK` without an error). The caller may have taken the failure in its stride (a
/// best-effort write), so the failure is kept: every later statement of the transaction
/// is refused, and its commit is an error and a rollback — never an answer that reports
/// writes the server did not keep.
#[derive(Default)]
struct Spoiled(Option<String>);

impl Spoiled {
    fn check(&self) -> Result<(), KvError> {
        match &self.0 {
            None => Ok(()),
            Some(why) => Err(KvError::Other(format!(
                "an earlier statement of this transaction failed ({why}): its writes are rolled back"
            ))),
        }
    }

    fn note<T>(&mut self, out: Result<T, KvError>) -> Result<T, KvError> {
        if let Err(e) = &out
            && self.0.is_none()
        {
            self.0 = Some(e.to_string());
        }
        out
    }
}

/// A call's transaction in shared mode: opened at its first write.
#[derive(Default)]
struct CallTx {
    tx: Option<Transaction<'static, Any>>,
    spoiled: Spoiled,
}

/// The margin after `timeout_ms` before the client gives up on a statement, so that the
/// server's timeout (`statement_timeout`, `lock_timeout`) answers first: a statement the
/// client abandoned could otherwise still take its lock and commit afterwards.
const SERVER_FIRST: Duration = Duration::from_millis(500);
/// MariaDB/MySQL: `innodb_lock_wait_timeout` is whole seconds, and a lock wait is noticed
/// as timed out by a monitor that runs about once a second.
const SERVER_FIRST_MYSQL: Duration = Duration::from_secs(2);

/// The two buckets on one or two database servers.
pub struct SqlKv {
    rt: Option<tokio::runtime::Runtime>,
    dbs: Vec<Db>,
    tables: Vec<Table>,
    /// How long the client waits for an answer: `timeout_ms` and then [`SERVER_FIRST`], so
    /// that a statement waiting on a lock is stopped by the server's own timeout (and its
    /// write certainly not kept) before the client gives up on it.
    timeout: Duration,
    shared: bool,
    batch: Mutex<Option<Batch>>,
    /// Shared mode on one database: each call's transaction (by its thread, from
    /// [`KvBackend::enter`] to [`KvBackend::durable`]), opened at its first write.
    calls: Mutex<HashMap<ThreadId, CallTx>>,
}

impl Drop for SqlKv {
    fn drop(&mut self) {
        // Dropped perhaps inside another runtime (`fichier serve`): never block there.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// The table of a label: `default` → `<prefix>fichier_data`, `keys` → `<prefix>fichier_keys`.
fn table_name(prefix: &str, label: &str) -> String {
    match label {
        "default" => format!("{prefix}fichier_data"),
        other => format!("{prefix}fichier_{other}"),
    }
}

impl SqlKv {
    /// Connect to `data` (and `keys`, if the keys live in another database), creating the
    /// tables if absent. Fails with a typed error when a server cannot be reached.
    pub fn connect(data: &str, keys: Option<&str>) -> Result<Self, KvError> {
        let data = SqlUrl::parse(data)?;
        let keys = keys.map(SqlUrl::parse).transpose()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fichier-sql")
            .enable_all()
            .build()
            .map_err(|e| KvError::Other(format!("starting the database client: {e}")))?;
        let mysql = data.dialect == Dialect::MySql || keys.as_ref().is_some_and(|k| k.dialect == Dialect::MySql);
        let timeout = data.timeout + if mysql { SERVER_FIRST_MYSQL } else { SERVER_FIRST };
        let mut dbs = vec![Db::new(data, rt.handle())?];
        let keys_db = match keys {
            Some(k) => {
                dbs.push(Db::new(k, rt.handle())?);
                1
            }
            None => 0,
        };
        let tables = [("default", 0), (KEYS_LABEL, keys_db)]
            .into_iter()
            .map(|(label, db)| {
                let url = &dbs[db].url;
                let sequence = format!("{}fichier_version", url.prefix);
                Table {
                    label: label.into(),
                    db,
                    sql: Statements::new(url.dialect, &table_name(&url.prefix, label), &sequence),
                }
            })
            .collect();
        let kv = Self {
            rt: Some(rt),
            dbs,
            tables,
            timeout,
            shared: false,
            batch: Mutex::new(None),
            calls: Mutex::new(HashMap::new()),
        };
        kv.create_tables()?;
        Ok(kv)
    }

    /// Many callers at once (`fichier serve`): no batch, every write commits on its own
    /// and calls run concurrently ([`KvBackend::grouped`]).
    pub fn shared(mut self) -> Self {
        self.shared = true;
        self
    }

    /// The databases, passwords hidden (for messages and reports).
    pub fn shown(&self) -> Vec<String> {
        self.dbs.iter().map(|d| d.url.shown().to_string()).collect()
    }

    fn create_tables(&self) -> Result<(), KvError> {
        for table in &self.tables {
            let url = &self.dbs[table.db].url;
            let sequence = format!("{}fichier_version", url.prefix);
            let statements = table.sql.create(&sequence);
            let dialect = url.dialect;
            self.run(table.db, true, async |conn: &mut AnyConnection| {
                let mut tx = conn.begin().await?;
                if dialect == Dialect::Postgres {
                    // Processes starting together: one creates, the others wait and see it.
                    sqlx::raw_sql("SELECT pg_advisory_xact_lock(7308326113853212281)").execute(&mut *tx).await?;
                }
                for sql in statements {
                    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *tx).await?;
                }
                tx.commit().await
            })
            .map_err(|e| KvError::Other(format!("creating {}: {e}", table.sql.name)))?;
        }
        Ok(())
    }

    fn table(&self, label: &str) -> Result<&Table, KvError> {
        self.tables.iter().find(|t| t.label == label).ok_or(KvError::NoSuchStore)
    }

    fn batch(&self) -> MutexGuard<'_, Option<Batch>> {
        self.batch.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Run `op` on database `db`: on the open batch's transaction, else on a pooled
    /// connection (its statement its own transaction), within the timeout.
    fn run<T>(
        &self,
        db: usize,
        write: bool,
        op: impl AsyncFnOnce(&mut AnyConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, KvError> {
        let rt = self.rt.as_ref().ok_or_else(|| KvError::Other("database client stopped".into()))?;
        let mut batch = self.batch();
        if let Some(b) = batch.as_mut()
            && let Some(tx) = b.txs.get_mut(db).and_then(Option::as_mut)
        {
            // Batched work holds the batch for its statement.
            b.spoiled.check()?;
            let out = block_on(rt, self.timeout, op(&mut **tx)).map_err(|e| self.failed(db, e));
            return b.spoiled.note(out);
        }
        drop(batch);
        let pool = self.dbs[db].pool();
        // A call in shared mode: its writes (and, from its first write on, its reads) in its
        // own transaction, committed by `durable`.
        let me = std::thread::current().id();
        let slot = self.calls().get_mut(&me).map(std::mem::take);
        match slot {
            Some(mut call) if call.tx.is_some() || write => {
                let out = (|| {
                    call.spoiled.check()?;
                    let tx = match &mut call.tx {
                        Some(tx) => tx,
                        None => {
                            call.tx.insert(block_on(rt, self.timeout, pool.begin()).map_err(|e| self.failed(db, e))?)
                        }
                    };
                    block_on(rt, self.timeout, op(&mut **tx)).map_err(|e| self.failed(db, e))
                })();
                let out = call.spoiled.note(out);
                self.calls().insert(me, call);
                out
            }
            // Not in a transaction: callers run concurrently, each on a pooled connection.
            slot => {
                if let Some(call) = slot {
                    self.calls().insert(me, call);
                }
                block_on(rt, self.timeout, async {
                    let mut conn = pool.acquire().await?;
                    op(&mut *conn).await
                })
                .map_err(|e| self.failed(db, e))
            }
        }
    }

    fn calls(&self) -> MutexGuard<'_, HashMap<ThreadId, CallTx>> {
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn failed(&self, db: usize, e: Failed) -> KvError {
        match e {
            Failed::TimedOut => KvError::Other(format!(
                "{}: no answer within {} ms, past the server's own timeout (a write may or may not have committed)",
                self.dbs[db].url.shown(),
                self.timeout.as_millis()
            )),
            Failed::Sql(e) => {
                self.dbs[db].check(&e);
                KvError::Other(format!("{}: {e}", self.dbs[db].url.shown()))
            }
        }
    }

    /// In a batch over two databases, which commits the keys and then the data at its
    /// end, a write that would make that order unsafe first commits what the batch holds,
    /// as the SQLite store does ([`super::SqliteKv`]): a key replaced or deleted while
    /// data is pending commits the keys, then the data; data written after a replaced
    /// key first commits the keys.
    fn batch_order(&self, label: &str, replaces: bool) -> Result<(), KvError> {
        let keys_db = self.table(KEYS_LABEL)?.db;
        if keys_db == 0 {
            return Ok(()); // one database: one transaction, nothing to order
        }
        let (commit_keys, commit_data) = {
            let mut batch = self.batch();
            let Some(b) = batch.as_mut() else { return Ok(()) };
            if label == KEYS_LABEL {
                let both = replaces && b.data_dirty;
                b.keys_replaced |= replaces;
                (both, both)
            } else {
                b.data_dirty = true;
                let keys = std::mem::take(&mut b.keys_replaced);
                (keys, false)
            }
        };
        if commit_keys {
            self.commit_one(keys_db)?;
        }
        if commit_data {
            self.commit_one(0)?;
            if let Some(b) = self.batch().as_mut() {
                b.data_dirty = false;
            }
        }
        Ok(())
    }

    /// Commit the batch's transaction on database `db` and open the next one.
    fn commit_one(&self, db: usize) -> Result<(), KvError> {
        let rt = self.rt.as_ref().ok_or_else(|| KvError::Other("database client stopped".into()))?;
        let pool = self.dbs[db].pool();
        let mut batch = self.batch();
        let Some(b) = batch.as_mut() else { return Ok(()) };
        // A spoiled batch commits nothing, early or at its end.
        b.spoiled.check()?;
        let tx = b.txs.get_mut(db).and_then(Option::take);
        let out = block_on(rt, self.timeout, async {
            if let Some(tx) = tx {
                tx.commit().await?;
            }
            pool.begin().await
        });
        match out {
            Ok(tx) => {
                b.txs[db] = Some(tx);
                Ok(())
            }
            Err(e) => {
                drop(batch);
                Err(self.failed(db, e))
            }
        }
    }

    /// Read from one consistent snapshot until [`KvBackend::rollback`] (`store copy`'s
    /// source): a read-only REPEATABLE READ transaction per database, the data's opened
    /// before the keys' (every key the data refers to was committed before it).
    pub fn begin_snapshot(&self) -> Result<(), KvError> {
        let rt = self.rt.as_ref().ok_or_else(|| KvError::Other("database client stopped".into()))?;
        let mut txs = Vec::new();
        for (i, db) in self.dbs.iter().enumerate() {
            let pool = db.pool();
            let dialect = db.url.dialect;
            let tx = block_on(rt, self.timeout, async {
                match dialect {
                    Dialect::Postgres => pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await,
                    Dialect::MySql => {
                        pool.begin_with(
                            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
                        )
                        .await
                    }
                }
            })
            .map_err(|e| self.failed(i, e))?;
            // The snapshot is taken at the first read on PostgreSQL: take it now.
            let mut tx = tx;
            block_on(rt, self.timeout, async { sqlx::raw_sql("SELECT 1").execute(&mut *tx).await })
                .map_err(|e| self.failed(i, e))?;
            txs.push(Some(tx));
        }
        *self.batch() = Some(Batch { txs, data_dirty: false, keys_replaced: false, spoiled: Spoiled::default() });
        Ok(())
    }

    fn check_key(key: &str) -> Result<(), KvError> {
        if key.len() > MAX_KEY || key.contains('\0') {
            return Err(KvError::Other(format!(
                "key of {} bytes: keys are at most {MAX_KEY} bytes, without NUL",
                key.len()
            )));
        }
        Ok(())
    }
}

/// Why a database call did not answer.
enum Failed {
    TimedOut,
    Sql(sqlx::Error),
}

/// Run `fut` to its end on `rt` from this (non-async) thread, within `limit`.
fn block_on<T>(
    rt: &tokio::runtime::Runtime,
    limit: Duration,
    fut: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, Failed> {
    rt.block_on(async { tokio::time::timeout(limit, fut).await }).map_err(|_| Failed::TimedOut)?.map_err(Failed::Sql)
}

/// A key column's value (TEXT on PostgreSQL, VARBINARY on MariaDB/MySQL).
fn key_of(row: &AnyRow) -> Result<String, sqlx::Error> {
    match row.try_get::<String, _>(0) {
        Ok(k) => Ok(k),
        Err(_) => String::from_utf8(row.try_get::<Vec<u8>, _>(0)?).map_err(|e| sqlx::Error::Decode(Box::new(e))),
    }
}

fn version(ver: i64) -> u64 {
    ver as u64
}

fn is_duplicate(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

impl KvBackend for SqlKv {
    fn labels(&self) -> Vec<String> {
        self.tables.iter().map(|t| t.label.clone()).collect()
    }

    fn get(&self, label: &str, key: &str) -> Result<Option<Versioned>, KvError> {
        let t = self.table(label)?;
        Self::check_key(key)?;
        self.run(t.db, false, async |conn: &mut AnyConnection| {
            let row = sqlx::query(AssertSqlSafe(t.sql.get.as_str())).bind(key).fetch_optional(conn).await?;
            row.map(|r| Ok((version(r.try_get(0)?), r.try_get::<Vec<u8>, _>(1)?))).transpose()
        })
    }

    fn get_many(&self, label: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let t = self.table(label)?;
        let mut found = std::collections::HashMap::new();
        for k in keys {
            Self::check_key(k)?;
        }
        for chunk in keys.chunks(LIST_PAGE) {
            let sql = t.sql.get_many(chunk.len());
            let rows = self.run(t.db, false, async |conn: &mut AnyConnection| {
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for k in chunk {
                    q = q.bind(k.as_str());
                }
                let rows = q.fetch_all(conn).await?;
                rows.iter()
                    .map(|r| Ok((key_of(r)?, r.try_get::<Vec<u8>, _>(1)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()
            })?;
            found.extend(rows);
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        let t = self.table(label)?;
        Self::check_key(key)?;
        self.batch_order(label, true)?;
        self.run(t.db, true, async |conn: &mut AnyConnection| {
            sqlx::query(AssertSqlSafe(t.sql.set.as_str())).bind(key).bind(value).execute(conn).await.map(drop)
        })
    }

    fn delete(&self, label: &str, key: &str) -> Result<(), KvError> {
        let t = self.table(label)?;
        Self::check_key(key)?;
        self.batch_order(label, true)?;
        self.run(t.db, true, async |conn: &mut AnyConnection| {
            sqlx::query(AssertSqlSafe(t.sql.delete.as_str())).bind(key).execute(conn).await.map(drop)
        })
    }

    fn list_after(&self, label: &str, cursor: Option<&str>) -> Result<Vec<String>, KvError> {
        let t = self.table(label)?;
        self.run(t.db, false, async |conn: &mut AnyConnection| {
            let rows = match cursor {
                None => sqlx::query(AssertSqlSafe(t.sql.list_first.as_str())).fetch_all(conn).await?,
                Some(c) => sqlx::query(AssertSqlSafe(t.sql.list_after.as_str())).bind(c).fetch_all(conn).await?,
            };
            rows.iter().map(key_of).collect()
        })
    }

    fn swap_if(&self, label: &str, key: &str, seen: Option<u64>, value: &[u8]) -> Result<bool, KvError> {
        let t = self.table(label)?;
        Self::check_key(key)?;
        self.batch_order(label, seen.is_some())?;
        self.run(t.db, true, async |conn: &mut AnyConnection| match seen {
            None => match sqlx::query(AssertSqlSafe(t.sql.insert_if_absent.as_str()))
                .bind(key)
                .bind(value)
                .execute(conn)
                .await
            {
                Ok(done) => Ok(done.rows_affected() == 1),
                Err(e) if is_duplicate(&e) => Ok(false),
                Err(e) => Err(e),
            },
            Some(v) => {
                let Ok(v) = i64::try_from(v) else { return Ok(false) };
                let done = sqlx::query(AssertSqlSafe(t.sql.update_if_at.as_str()))
                    .bind(value)
                    .bind(key)
                    .bind(v)
                    .execute(conn)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        })
    }

    fn increment(&self, label: &str, key: &str, delta: i64) -> Result<i64, KvError> {
        // A compare-and-swap loop: several processes increment without a lost count.
        for _ in 0..64 {
            let current = self.get(label, key)?;
            let n = incremented(key, current.as_ref().map(|(_, v)| v.as_slice()), delta)?;
            if self.swap_if(label, key, current.map(|(v, _)| v), n.to_string().as_bytes())? {
                return Ok(n);
            }
        }
        Err(KvError::Other(format!("increment of {key}: 64 concurrent writers won in a row")))
    }

    fn begin(&self) -> Result<(), KvError> {
        if self.shared || self.batch().is_some() {
            return Ok(());
        }
        let rt = self.rt.as_ref().ok_or_else(|| KvError::Other("database client stopped".into()))?;
        let mut txs = Vec::new();
        for (i, db) in self.dbs.iter().enumerate() {
            let pool = db.pool();
            match block_on(rt, self.timeout, async { pool.begin().await }) {
                Ok(tx) => txs.push(Some(tx)),
                Err(e) => return Err(self.failed(i, e)), // the others roll back as they drop
            }
        }
        *self.batch() = Some(Batch { txs, data_dirty: false, keys_replaced: false, spoiled: Spoiled::default() });
        Ok(())
    }

    fn commit(&self) -> Result<(), KvError> {
        let Some(mut batch) = self.batch().take() else { return Ok(()) };
        let rt = self.rt.as_ref().ok_or_else(|| KvError::Other("database client stopped".into()))?;
        if let Err(e) = batch.spoiled.check() {
            for tx in batch.txs.into_iter().flatten() {
                let _ = block_on(rt, self.timeout, tx.rollback());
            }
            return Err(e);
        }
        // Keys first: committed data always finds its data key.
        let keys_db = self.table(KEYS_LABEL)?.db;
        let mut order = vec![keys_db];
        order.extend((0..self.dbs.len()).filter(|d| *d != keys_db));
        for db in order {
            if let Some(tx) = batch.txs.get_mut(db).and_then(Option::take) {
                block_on(rt, self.timeout, tx.commit()).map_err(|e| self.failed(db, e))?;
            }
        }
        Ok(())
    }

    fn rollback(&self) {
        let Some(batch) = self.batch().take() else { return };
        if let Some(rt) = self.rt.as_ref() {
            for tx in batch.txs.into_iter().flatten() {
                let _ = block_on(rt, self.timeout, tx.rollback());
            }
        }
    }

    fn grouped(&self) -> bool {
        self.shared
    }

    /// A call starts (shared mode): on one database its writes will share one transaction,
    /// one commit instead of one per write. With the keys in a database of their own, every
    /// write commits on its own instead (as on Spin): the keys-first order holds without
    /// a rule across two transactions.
    fn enter(&self) {
        if self.shared && self.dbs.len() == 1 {
            self.calls().insert(std::thread::current().id(), CallTx::default());
        }
    }

    /// The call's transaction commits (nothing to do when it wrote nothing); one with a
    /// failed statement rolls back, and the call fails.
    fn durable(&self) -> Result<(), KvError> {
        let Some(CallTx { tx: Some(tx), spoiled }) = self.calls().remove(&std::thread::current().id()) else {
            return Ok(());
        };
        let rt = self.rt.as_ref().ok_or_else(|| KvError::Other("database client stopped".into()))?;
        if let Err(e) = spoiled.check() {
            let _ = block_on(rt, self.timeout, tx.rollback());
            return Err(e);
        }
        block_on(rt, self.timeout, tx.commit()).map_err(|e| self.failed(0, e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_its_dialect_and_settings_and_keeps_the_drivers_own() {
        let u = SqlUrl::parse(
            "postgres://shop:secret@127.0.0.1:5432/shop?pool=3&timeout_ms=250&prefix=wp_&sslmode=disable",
        )
        .unwrap();
        assert_eq!(
            (u.dialect, u.pool, u.timeout, u.prefix.as_str()),
            (Dialect::Postgres, 3, Duration::from_millis(250), "wp_")
        );
        assert_eq!(u.url, "postgres://shop:secret@127.0.0.1:5432/shop?sslmode=disable");
        assert_eq!(u.shown(), "postgres://shop:***@127.0.0.1:5432/shop");
        let q = SqlUrl::parse("postgres://h/db?password=hunter2").unwrap();
        assert_eq!(q.shown(), "postgres://h/db", "a password given as a parameter is not shown either");
        let m = SqlUrl::parse("mariadb://root@localhost/wordpress").unwrap();
        assert_eq!((m.dialect, m.url.as_str()), (Dialect::MySql, "mysql://root@localhost/wordpress"));
        for (bad, rule) in [
            ("postgres://h/db?pool=0", "pool must be 1 to 256"),
            ("mysql://h/db?timeout_ms=soon", "timeout_ms must be 10 to 600000"),
            ("mysql://h/db?prefix=wp;DROP", "prefix must be"),
            ("redis://h/0", "scheme redis is not"),
            ("postgres//nope", "not a URL"),
            ("postgres:/shop:secret@host/db", "names its server"),
            ("mysql://root@host/db#part", "no #fragment"),
        ] {
            let e = SqlUrl::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("db: ") && e.contains(rule), "{bad}: {e}");
        }
        assert!(is_url("postgresql://x/y") && is_url("mariadb://x/y") && !is_url("./fichier.db"));
    }

    #[test]
    fn statements_name_their_table_and_number_their_placeholders() {
        let pg = Statements::new(Dialect::Postgres, "wp_fichier_data", "wp_fichier_version");
        assert_eq!(pg.get_many(3), "SELECT k, v FROM wp_fichier_data WHERE k IN ($1, $2, $3)");
        assert!(pg.update_if_at.contains("nextval('wp_fichier_version') WHERE k = $2 AND ver = $3"));
        let my = Statements::new(Dialect::MySql, "fichier_keys", "fichier_version");
        assert_eq!(my.get_many(2), "SELECT k, v FROM fichier_keys WHERE k IN (?, ?)");
        assert!(my.create("fichier_version")[0].contains("k VARBINARY(512)"));
        assert!(SqlKv::check_key(&"k".repeat(MAX_KEY)).is_ok());
        assert!(SqlKv::check_key(&"k".repeat(MAX_KEY + 1)).is_err());
        assert!(SqlKv::check_key("a\0b").is_err());
    }

    /// A database URL is read from anything the command line or a configuration gives:
    /// an answer or a typed error, never a panic, and a password never in what is shown.
    #[test]
    fn a_url_of_any_bytes_is_read_or_refused_without_a_panic() {
        let seeds = [
            "postgres://shop:secret@127.0.0.1:5432/shop?pool=3&timeout_ms=250&prefix=wp_",
            "mysql://root:pw@localhost/wordpress?socket=/run/mysqld/mysqld.sock&prefix=wp_",
            "mariadb://u@[::1]:3306/db",
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"abcz09:/@?&=%[]._-+#~ \\\xc3\xa9";
        for round in 0..5000 {
            let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % bytes.len().max(1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if i < bytes.len() => bytes[i] = c,
                    1 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i.min(bytes.len()), c),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(url) = SqlUrl::parse(&text) {
                // Whatever the URL's password field holds is not in what is shown.
                let password = url::Url::parse(&text).ok().and_then(|u| u.password().map(str::to_owned));
                if let Some(p) = password.filter(|p| p.len() >= 3) {
                    assert!(!url.shown().contains(&p), "{text}: {}", url.shown());
                }
                assert!(!url.shown().contains('?'), "{text}: {}", url.shown());
                assert!(url.prefix.len() <= 32 && (1..=256).contains(&url.pool));
            }
        }
    }
}
