//! When a failed call is tried again, and how long to wait before it is.
//!
//! The rules follow idempotency. A side-effect-free or idempotent method is
//! retried on `Unavailable`, on `ResourceExhausted` that carries a `RetryInfo`,
//! and on transport failures. Any method is retried when its connection never
//! opened, because then its request provably never left the process. Delays grow exponentially with full jitter, unless
//! the server's `RetryInfo` names one. A shared [`RetryBudget`] stops retry
//! storms when most calls fail.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::code::Code;
use super::method::Idempotency;
use super::status::{Origin, Status};

/// How often and how patiently a call is retried.
#[derive(Debug, Clone, PartialEq)]
///
/// ```
/// use std::time::Duration;
/// use cwsandbox_control::connect::{Channel, RetryPolicy};
///
/// let policy = RetryPolicy {
///     max_attempts: 5,
///     initial_backoff: Duration::from_millis(50),
///     attempt_timeout: Some(Duration::from_secs(2)),
///     ..RetryPolicy::default()
/// };
/// assert_eq!(RetryPolicy::default().max_attempts, 4);
/// let channel = Channel::builder("http://127.0.0.1:8080").retry_policy(policy).build();
/// assert!(channel.is_ok());
/// ```
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Upper bound of the first backoff delay.
    pub initial_backoff: Duration,
    /// Upper bound of any backoff delay.
    pub max_backoff: Duration,
    /// Growth of the backoff bound from one retry to the next.
    pub multiplier: f64,
    /// Time allowed for one attempt. `None` leaves only the call's deadline.
    pub attempt_timeout: Option<Duration>,
    /// Retries `Internal` for methods that are safe to retry.
    pub retry_internal: bool,
    /// Maximum `RetryInfo` delay that is honoured. A longer one ends the call
    /// with the server's status.
    pub max_server_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            attempt_timeout: None,
            retry_internal: false,
            max_server_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Returns a policy that never retries.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Idempotency, RetryPolicy, Status};
    ///
    /// let policy = RetryPolicy::none();
    /// assert_eq!(policy.max_attempts, 1);
    /// let status = Status::new(Code::Unavailable, "try again");
    /// assert!(!policy.is_retryable(&status, Idempotency::NoSideEffects, 1));
    /// ```
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Returns true when `status`, from attempt number `attempt` (1-based),
    /// may be retried for a method of the given idempotency.
    ///
    /// ```
    /// use cwsandbox_control::connect::{Code, Idempotency, RetryPolicy, Status};
    ///
    /// let policy = RetryPolicy::default();
    /// let unavailable = Status::new(Code::Unavailable, "try again");
    /// assert!(policy.is_retryable(&unavailable, Idempotency::NoSideEffects, 1));
    /// assert!(!policy.is_retryable(&unavailable, Idempotency::Unknown, 1), "may repeat a change");
    /// assert!(!policy.is_retryable(&unavailable, Idempotency::Idempotent, 4), "last attempt");
    ///
    /// let not_found = Status::new(Code::NotFound, "gone");
    /// assert!(!policy.is_retryable(&not_found, Idempotency::NoSideEffects, 1));
    /// ```
    pub fn is_retryable(&self, status: &Status, idempotency: Idempotency, attempt: u32) -> bool {
        if attempt >= self.max_attempts {
            return false;
        }
        // A connection that never opened carried no request, whatever the method.
        if status.is_unsent() && status.is_connect() {
            return true;
        }
        if !idempotency.is_safe_to_retry() {
            return false;
        }
        match status.code() {
            Code::Unavailable => true,
            // A response cut off by the connection is a transport failure.
            _ if status.is_transport() => true,
            Code::ResourceExhausted => status.retry_delay().is_some(),
            Code::Internal => self.retry_internal,
            // A client-made timeout of one attempt leaves the call's deadline
            // for another; the call's own deadline ends the loop elsewhere.
            Code::DeadlineExceeded => status.origin() == Origin::Client,
            Code::Unknown => status.origin() == Origin::Client,
            _ => false,
        }
    }

    /// Returns the delay before attempt number `attempt + 1`: the server's
    /// `RetryInfo` delay when present, else a full-jitter exponential backoff.
    /// `None` means the server asked for more than `max_server_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cwsandbox_control::connect::{Code, Detail, RetryPolicy, Status};
    /// use cwsandbox_control::rpc::RetryInfo;
    /// use cwsandbox_control::wkt;
    ///
    /// let policy = RetryPolicy::default();
    ///
    /// // Without RetryInfo the delay is drawn from 0 up to the backoff bound.
    /// let status = Status::new(Code::Unavailable, "try again");
    /// let delay = policy.delay(&status, 1).unwrap();
    /// assert!(delay <= policy.initial_backoff);
    ///
    /// let asks_for = |seconds| {
    ///     let info = RetryInfo { retry_delay: Some(wkt::Duration { seconds, nanos: 0 }) };
    ///     Status::new(Code::Unavailable, "busy").with_detail(Detail::RetryInfo(info))
    /// };
    /// assert_eq!(policy.delay(&asks_for(2), 1), Some(Duration::from_secs(2)));
    /// assert_eq!(policy.delay(&asks_for(60), 1), None, "more than max_server_delay");
    /// ```
    pub fn delay(&self, status: &Status, attempt: u32) -> Option<Duration> {
        if let Some(delay) = status.retry_delay() {
            return (delay <= self.max_server_delay).then_some(delay);
        }
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let bound = self.initial_backoff.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        let bound = bound.min(self.max_backoff.as_secs_f64());
        Some(Duration::from_secs_f64(
            rand::random::<f64>() * bound.max(0.0),
        ))
    }
}

/// A token bucket shared by the calls of a channel that limits retries when
/// most calls fail.
///
/// Each failed attempt takes one token and each success returns
/// `refill_per_success`. Retries are allowed only while more than half of
/// `capacity` remains, the throttling rule gRPC clients use.
#[derive(Debug)]
///
/// ```
/// use cwsandbox_control::connect::RetryBudget;
///
/// let budget = RetryBudget::new(4, 1.0);
/// assert_eq!(budget.tokens(), 4);
/// assert!(budget.on_failure(), "3 of 4 tokens left");
/// assert!(!budget.on_failure(), "2 of 4 left is not more than half");
/// budget.on_success();
/// budget.on_success();
/// assert_eq!(budget.tokens(), 4);
/// assert!(budget.on_failure());
/// ```
pub struct RetryBudget {
    capacity: u64,
    refill_per_success: f64,
    /// Tokens in thousandths, so refills below one token add up exactly.
    milli_tokens: AtomicU64,
    lock: Mutex<()>,
}

impl RetryBudget {
    /// Creates a full budget.
    ///
    /// ```
    /// use cwsandbox_control::connect::RetryBudget;
    ///
    /// assert_eq!(RetryBudget::new(10, 0.1).tokens(), 10);
    /// assert_eq!(RetryBudget::new(0, 0.1).tokens(), 1, "the capacity is at least 1");
    /// ```
    pub fn new(capacity: u32, refill_per_success: f64) -> Self {
        let capacity = u64::from(capacity.max(1));
        Self {
            capacity,
            refill_per_success: refill_per_success.clamp(0.0, capacity as f64),
            milli_tokens: AtomicU64::new(capacity * 1000),
            lock: Mutex::new(()),
        }
    }

    /// Records a failed attempt and returns true when a retry is still allowed.
    ///
    /// ```
    /// use cwsandbox_control::connect::RetryBudget;
    ///
    /// let budget = RetryBudget::new(2, 1.0);
    /// assert!(!budget.on_failure(), "1 of 2 tokens is not more than half");
    /// assert_eq!(budget.tokens(), 1);
    /// ```
    pub fn on_failure(&self) -> bool {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tokens = self
            .milli_tokens
            .load(Ordering::Relaxed)
            .saturating_sub(1000);
        self.milli_tokens.store(tokens, Ordering::Relaxed);
        tokens > self.capacity * 500
    }

    /// Records a successful call.
    ///
    /// ```
    /// use cwsandbox_control::connect::RetryBudget;
    ///
    /// let budget = RetryBudget::new(2, 1.0);
    /// budget.on_failure();
    /// budget.on_success();
    /// budget.on_success();
    /// assert_eq!(budget.tokens(), 2, "never more than the capacity");
    /// ```
    pub fn on_success(&self) {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let refill = (self.refill_per_success * 1000.0) as u64;
        let tokens = (self.milli_tokens.load(Ordering::Relaxed) + refill).min(self.capacity * 1000);
        self.milli_tokens.store(tokens, Ordering::Relaxed);
    }

    /// Returns the tokens left, rounded down.
    ///
    /// ```
    /// use cwsandbox_control::connect::RetryBudget;
    ///
    /// let budget = RetryBudget::new(3, 0.4);
    /// budget.on_failure();
    /// budget.on_success();
    /// assert_eq!(budget.tokens(), 2, "2.4 tokens, rounded down");
    /// ```
    pub fn tokens(&self) -> u64 {
        self.milli_tokens.load(Ordering::Relaxed) / 1000
    }
}

impl Default for RetryBudget {
    /// Ten tokens, a tenth of a token back per success.
    fn default() -> Self {
        Self::new(10, 0.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Detail;
    use crate::rpc::RetryInfo;

    fn server(code: Code) -> Status {
        Status::new(code, "test")
    }

    fn with_retry_info(code: Code, seconds: i64) -> Status {
        let delay = crate::wkt::Duration { seconds, nanos: 0 };
        server(code).with_detail(Detail::RetryInfo(RetryInfo {
            retry_delay: Some(delay),
        }))
    }

    #[test]
    fn safe_methods_retry_unavailable() {
        let policy = RetryPolicy::default();
        let status = server(Code::Unavailable);
        assert!(policy.is_retryable(&status, Idempotency::NoSideEffects, 1));
        assert!(policy.is_retryable(&status, Idempotency::Idempotent, 1));
        assert!(!policy.is_retryable(&status, Idempotency::Unknown, 1));
    }

    #[test]
    fn resource_exhausted_needs_retry_info() {
        let policy = RetryPolicy::default();
        let bare = server(Code::ResourceExhausted);
        let told = with_retry_info(Code::ResourceExhausted, 1);
        assert!(!policy.is_retryable(&bare, Idempotency::NoSideEffects, 1));
        assert!(policy.is_retryable(&told, Idempotency::NoSideEffects, 1));
    }

    #[test]
    fn internal_retries_only_when_asked() {
        let status = server(Code::Internal);
        let default = RetryPolicy::default();
        let eager = RetryPolicy {
            retry_internal: true,
            ..RetryPolicy::default()
        };
        assert!(!default.is_retryable(&status, Idempotency::NoSideEffects, 1));
        assert!(eager.is_retryable(&status, Idempotency::NoSideEffects, 1));
    }

    #[test]
    fn unsent_requests_retry_for_any_method() {
        let policy = RetryPolicy::default();
        let status = Status::client(Code::Unavailable, "connection refused")
            .with_kind(crate::connect::status::ClientErrorKind::Connect);
        assert!(policy.is_retryable(&status, Idempotency::Unknown, 1));
    }

    #[test]
    fn unsent_refusals_do_not_retry() {
        let policy = RetryPolicy::default();
        let status = Status::client(Code::PermissionDenied, "blocked by policy").unsent();
        assert!(!policy.is_retryable(&status, Idempotency::NoSideEffects, 1));
    }

    #[test]
    fn last_attempt_never_retries() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let status = server(Code::Unavailable);
        assert!(policy.is_retryable(&status, Idempotency::NoSideEffects, 2));
        assert!(!policy.is_retryable(&status, Idempotency::NoSideEffects, 3));
    }

    #[test]
    fn server_delay_wins_over_backoff() {
        let policy = RetryPolicy::default();
        let status = with_retry_info(Code::Unavailable, 2);
        assert_eq!(policy.delay(&status, 1), Some(Duration::from_secs(2)));
    }

    #[test]
    fn server_delay_above_limit_stops() {
        let policy = RetryPolicy {
            max_server_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let status = with_retry_info(Code::Unavailable, 2);
        assert_eq!(policy.delay(&status, 1), None);
    }

    #[test]
    fn backoff_stays_under_its_bound() {
        let policy = RetryPolicy::default();
        let status = server(Code::Unavailable);
        for attempt in 1..20 {
            let delay = policy.delay(&status, attempt).unwrap();
            assert!(delay <= policy.max_backoff, "attempt {attempt}: {delay:?}");
        }
        for _ in 0..100 {
            assert!(policy.delay(&status, 1).unwrap() <= policy.initial_backoff);
        }
    }

    #[test]
    fn budget_stops_retries_after_failures() {
        let budget = RetryBudget::new(10, 0.1);
        let allowed: Vec<bool> = (0..8).map(|_| budget.on_failure()).collect();
        assert_eq!(
            allowed,
            [true, true, true, true, false, false, false, false]
        );
    }

    #[test]
    fn budget_refills_on_success() {
        let budget = RetryBudget::new(10, 1.0);
        for _ in 0..6 {
            budget.on_failure();
        }
        assert_eq!(budget.tokens(), 4);
        for _ in 0..3 {
            budget.on_success();
        }
        assert_eq!(budget.tokens(), 7);
        assert!(budget.on_failure());
    }
}
