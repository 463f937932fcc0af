//! The emulator's clock: the system time or a manual time, plus an offset that
//! tests move forward with `advance`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A shared clock. Runner states derive from it, so moving it forward moves
/// every runner through its lifecycle without background tasks.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    /// The frozen start time of a manual clock; `None` follows the system time.
    manual_start: Option<SystemTime>,
    offset: Mutex<Duration>,
}

impl Clock {
    /// Creates a clock that follows the system time.
    pub(crate) fn system() -> Self {
        Self::new(None)
    }

    /// Creates a clock frozen at `start` until [`Clock::advance`] moves it.
    pub(crate) fn manual(start: SystemTime) -> Self {
        Self::new(Some(start))
    }

    fn new(manual_start: Option<SystemTime>) -> Self {
        Self {
            inner: Arc::new(ClockInner {
                manual_start,
                offset: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// Returns the current emulated time.
    pub(crate) fn now(&self) -> SystemTime {
        let base = self.inner.manual_start.unwrap_or_else(SystemTime::now);
        let offset = *self.offset();
        base.checked_add(offset).unwrap_or(base)
    }

    /// Moves the clock forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let mut offset = self.offset();
        *offset = offset.saturating_add(by);
    }

    /// Returns whether the clock stays frozen between calls to `advance`.
    pub(crate) fn is_manual(&self) -> bool {
        self.inner.manual_start.is_some()
    }

    fn offset(&self) -> std::sync::MutexGuard<'_, Duration> {
        self.inner
            .offset
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
