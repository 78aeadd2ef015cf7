//! Real database servers for the tests: Debian's PostgreSQL and MariaDB, each started by
//! the test itself in a private data directory, on loopback, on a free port, and stopped
//! (and its directory removed) when the handle drops. `.ci/run` installs the packages;
//! without them the test fails and names the package.
//!
//! As root (CI), PostgreSQL refuses to run: its directory is handed to the `postgres`
//! user the package creates, and its programs run as that user (`runuser`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    MariaDb,
}

/// A running server (stopped on drop).
pub struct Server {
    pub engine: Engine,
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    databases: u32,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// PostgreSQL's programs directory (`/usr/lib/postgresql/<version>/bin`), newest first.
fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect())
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| panic!("PostgreSQL is not installed: apt-get install postgresql"))
}

fn need(program: &str, package: &str) {
    let found =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(program).exists())).unwrap_or(false);
    assert!(found, "{program} is missing: apt-get install --no-install-recommends {package}");
}

/// `program args`, as the `postgres` user when running as root.
fn as_pg(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Server {
    /// Start a fresh server of `engine`.
    pub fn start(engine: Engine) -> Self {
        let dir = tempfile::Builder::new().prefix("fichier-db-").tempdir().expect("temp dir");
        let mut s = Server { engine, port: free_port(), dir, child: None, databases: 0 };
        match engine {
            Engine::Postgres => s.init_postgres(),
            Engine::MariaDb => s.init_mariadb(),
        }
        s.resume();
        s
    }

    fn init_postgres(&mut self) {
        let bin = pg_bin();
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres:postgres"]).arg(self.dir.path());
                    c
                },
                "chown the data directory to postgres",
            );
        }
        let mut c = as_pg(&bin.join("initdb"));
        c.args(["-U", "fichier", "--auth=trust", "--encoding=UTF8", "--no-instructions", "-D"])
            .arg(self.dir.path().join("data"));
        run(c, "initdb");
    }

    fn init_mariadb(&mut self) {
        for program in ["mariadb-install-db", "mariadbd", "mariadb"] {
            need(program, "mariadb-server");
        }
        let me = if is_root() { "root".to_string() } else { std::env::var("USER").unwrap_or_default() };
        let mut c = Command::new("mariadb-install-db");
        c.args(["--no-defaults", "--skip-test-db", "--auth-root-authentication-method=normal"])
            .arg(format!("--user={me}"))
            .arg(format!("--datadir={}", self.dir.path().join("data").display()));
        run(c, "mariadb-install-db");
    }

    /// Start the server again on its port and directory (after [`Server::kill`]).
    pub fn resume(&mut self) {
        let d = self.dir.path();
        let log = std::fs::File::create(d.join(format!("server-{}.log", Instant::now().elapsed().as_nanos())))
            .expect("log file");
        let child = match self.engine {
            Engine::Postgres => {
                let mut c = as_pg(&pg_bin().join("postgres"));
                c.arg("-D").arg(d.join("data")).args(["-p", &self.port.to_string(), "-k"]).arg(d).args([
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "max_connections=200",
                ]);
                c
            }
            Engine::MariaDb => {
                let me = if is_root() { "root".to_string() } else { std::env::var("USER").unwrap_or_default() };
                let mut c = Command::new("mariadbd");
                c.arg("--no-defaults")
                    .arg(format!("--user={me}"))
                    .arg(format!("--datadir={}", d.join("data").display()))
                    .arg(format!("--socket={}", d.join("mysql.sock").display()))
                    .arg(format!("--pid-file={}", d.join("mysql.pid").display()))
                    .arg(format!("--port={}", self.port))
                    .args([
                        "--bind-address=127.0.0.1",
                        "--skip-grant-tables",
                        "--skip-log-bin",
                        "--innodb-buffer-pool-size=64M",
                        "--max-connections=300",
                    ]);
                c
            }
        }
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {:?}: {e}", self.engine));
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            let ok = match self.engine {
                Engine::Postgres => Command::new(pg_bin().join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                    .status()
                    .is_ok_and(|s| s.success()),
                Engine::MariaDb => self.sql_status("SELECT 1"),
            };
            if ok {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("{:?} stopped ({status}): {}", self.engine, self.logs());
            }
            assert!(start.elapsed() < Duration::from_secs(60), "{:?} not ready in 60 s: {}", self.engine, self.logs());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for e in std::fs::read_dir(self.dir.path()).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().ends_with(".log") {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        all
    }

    /// Run `sql` on the server's administrative connection.
    fn sql_status(&self, sql: &str) -> bool {
        self.sql_command(sql).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    }

    fn sql_command(&self, sql: &str) -> Command {
        self.sql_command_in(None, sql)
    }

    fn sql_command_in(&self, database: Option<&str>, sql: &str) -> Command {
        match self.engine {
            Engine::Postgres => {
                let mut c = Command::new("psql");
                c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &self.port.to_string()]).args([
                    "-U",
                    "fichier",
                    "-d",
                    database.unwrap_or("postgres"),
                    "-c",
                    sql,
                ]);
                c
            }
            Engine::MariaDb => {
                let mut c = Command::new("mariadb");
                c.arg("--no-defaults").arg(format!("--socket={}", self.dir.path().join("mysql.sock").display()));
                if let Some(db) = database {
                    c.arg(db);
                }
                c.args(["-e", sql]);
                c
            }
        }
    }

    /// Run `sql` (administration: create a database…), panicking with its output on failure.
    pub fn sql(&self, sql: &str) {
        run(self.sql_command(sql), sql);
    }

    /// Run `sql` in the database a URL of [`Server::database`] names.
    pub fn sql_in(&self, url: &str, sql: &str) {
        let name = url.rsplit('/').next().and_then(|n| n.split('?').next()).unwrap_or_default();
        run(self.sql_command_in(Some(name), sql), sql);
    }

    /// A new empty database, and the URL that reaches it (with `query` appended).
    pub fn database(&mut self, query: &str) -> String {
        self.databases += 1;
        let name = format!("t{}", self.databases);
        self.sql(&format!("CREATE DATABASE {name}"));
        self.url(&name, query)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str, query: &str) -> String {
        let q = if query.is_empty() { String::new() } else { format!("?{query}") };
        match self.engine {
            Engine::Postgres => format!("postgres://fichier@127.0.0.1:{}/{name}{q}", self.port),
            Engine::MariaDb => format!("mysql://root@127.0.0.1:{}/{name}{q}", self.port),
        }
    }

    /// Stop the server at once (SIGKILL), keeping its directory.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // As root the child is `runuser`; the server is its child: kill by port owner.
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.engine == Engine::Postgres {
            // The postmaster (under runuser) may survive its parent: stop it by its pid file.
            let pid_file = self.dir.path().join("data/postmaster.pid");
            if let Some(pid) = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.lines().next().map(str::to_owned))
            {
                let _ = Command::new("kill").args(["-9", &pid]).status();
                let start = Instant::now();
                while Command::new("kill").args(["-0", &pid]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
                    && start.elapsed() < Duration::from_secs(10)
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            // Its backends hold the shared memory a little longer.
            std::thread::sleep(Duration::from_millis(300));
            let _ = std::fs::remove_file(pid_file);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
