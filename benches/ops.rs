//! Time of the client-side helpers in `ops`: the update mask between two
//! full runners.
//!
//! Run with `cargo bench --bench ops`.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use cwsandbox_control::ops::runner_mask;
use cwsandbox_control::v1beta2::ReleaseChannel;

#[allow(dead_code, reason = "only the runner builders are used here")]
#[path = "support/pages.rs"]
mod pages;

fn runner_masks(c: &mut Criterion) {
    let old = pages::full_runner(0);
    let same = old.clone();
    let mut changed = old.clone();
    changed.display_name = "runner-renamed".to_string();
    if let Some(identity) = changed.identity.as_mut() {
        identity.zone = "US-WEST-01A".to_string();
    }
    if let Some(spec) = changed.managed_spec.as_mut() {
        spec.release_channel = ReleaseChannel::Rapid as i32;
        if let Some(overrides) = spec.overrides.as_mut() {
            overrides
                .env
                .insert("LOG_LEVEL".to_string(), "debug".to_string());
        }
    }
    changed.profile_bindings.reverse();

    assert!(runner_mask(&old, &same).paths.is_empty());
    assert_eq!(
        runner_mask(&old, &changed).paths.len(),
        5,
        "{:?}",
        runner_mask(&old, &changed)
    );

    let mut group = c.benchmark_group("runner_mask");
    group.bench_function("unchanged", |b| {
        b.iter(|| runner_mask(black_box(&old), black_box(&same)));
    });
    group.bench_function("five_paths_changed", |b| {
        b.iter(|| runner_mask(black_box(&old), black_box(&changed)));
    });
    group.finish();
}

criterion_group!(benches, runner_masks);
criterion_main!(benches);
