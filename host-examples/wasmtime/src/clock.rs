//! The wall clock the component reads through `wasi:clocks`: the system's, or one
//! pinned by tests and conformance runs (which never depend on the real time).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The host's clock.
#[derive(Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// Milliseconds since the epoch, shared so a test can move it between calls.
    Pinned(Arc<AtomicI64>),
}

impl Clock {
    /// A clock pinned at an RFC 3339 instant.
    pub fn pinned(rfc3339: &str) -> anyhow::Result<Self> {
        let t = chrono::DateTime::parse_from_rfc3339(rfc3339)?;
        Ok(Clock::Pinned(Arc::new(AtomicI64::new(t.timestamp_millis()))))
    }

    /// The clock a command runs on: pinned by `FICHIER_PINNED_CLOCK` (RFC 3339; demos and
    /// tests only), else the system's.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("FICHIER_PINNED_CLOCK") {
            Ok(t) => anyhow::Context::context(Self::pinned(&t), "FICHIER_PINNED_CLOCK"),
            Err(_) => Ok(Clock::System),
        }
    }

    /// The time since the epoch on this clock.
    pub fn now(&self) -> Duration {
        match self {
            Clock::System => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default(),
            Clock::Pinned(ms) => Duration::from_millis(u64::try_from(ms.load(Ordering::SeqCst)).unwrap_or(0)),
        }
    }

    /// Move a pinned clock (no effect on the system clock).
    pub fn set(&self, rfc3339: &str) -> anyhow::Result<()> {
        if let Clock::Pinned(ms) = self {
            ms.store(chrono::DateTime::parse_from_rfc3339(rfc3339)?.timestamp_millis(), Ordering::SeqCst);
        }
        Ok(())
    }

    pub(crate) fn wall(&self) -> WallClock {
        WallClock(self.clone())
    }
}

pub(crate) struct WallClock(Clock);

impl wasmtime_wasi::HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        self.0.now()
    }
}
