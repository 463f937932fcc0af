//! Fault injection: per method, a share of calls fails with UNAVAILABLE and
//! every call may wait a fixed delay first.

use std::collections::HashMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::config::Fault;
use super::routes::Method;

/// The fault decision for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FaultDecision {
    pub(crate) delay: Duration,
    /// When set, the call fails with UNAVAILABLE and this `RetryInfo` delay.
    pub(crate) unavailable_retry_delay: Option<Duration>,
}

/// The configured faults and the random source that picks failing calls.
#[derive(Debug)]
pub(crate) struct Faults {
    by_method: HashMap<Method, Fault>,
    rng: StdRng,
}

impl Faults {
    /// Faults from configuration; `seed` makes the choice of failing calls repeatable.
    pub(crate) fn new(
        faults: impl IntoIterator<Item = (Method, Fault)>,
        seed: Option<u64>,
    ) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self {
            by_method: faults.into_iter().collect(),
            rng,
        }
    }

    pub(crate) fn set(&mut self, method: Method, fault: Option<Fault>) {
        match fault {
            Some(fault) => self.by_method.insert(method, fault),
            None => self.by_method.remove(&method),
        };
    }

    /// Decides the fate of one call of `method`.
    pub(crate) fn decide(&mut self, method: Method) -> FaultDecision {
        let Some(fault) = self.by_method.get(&method).copied() else {
            return FaultDecision {
                delay: Duration::ZERO,
                unavailable_retry_delay: None,
            };
        };
        let fails =
            fault.unavailable_ratio > 0.0 && self.rng.random::<f64>() < fault.unavailable_ratio;
        FaultDecision {
            delay: fault.delay,
            unavailable_retry_delay: fails.then_some(fault.retry_delay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_honoured() {
        let fault = |ratio| Fault {
            unavailable_ratio: ratio,
            retry_delay: Duration::from_millis(100),
            delay: Duration::ZERO,
        };
        let mut faults = Faults::new(
            [
                (Method::GetRunner, fault(1.0)),
                (Method::ListManagedRunners, fault(0.5)),
            ],
            Some(7),
        );
        assert!((0..20).all(|_| {
            faults
                .decide(Method::GetRunner)
                .unavailable_retry_delay
                .is_some()
        }));
        assert!((0..20).all(|_| {
            faults
                .decide(Method::CreateManagedRunner)
                .unavailable_retry_delay
                .is_none()
        }));
        let failures = (0..1000)
            .filter(|_| {
                faults
                    .decide(Method::ListManagedRunners)
                    .unavailable_retry_delay
                    .is_some()
            })
            .count();
        assert!((400..600).contains(&failures), "{failures} of 1000 failed");
    }

    #[test]
    fn seeds_repeat() {
        let fault = Fault {
            unavailable_ratio: 0.5,
            ..Fault::default()
        };
        let run = || {
            let mut faults = Faults::new([(Method::GetRunner, fault)], Some(42));
            (0..32)
                .map(|_| {
                    faults
                        .decide(Method::GetRunner)
                        .unavailable_retry_delay
                        .is_some()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
