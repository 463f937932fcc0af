//! Encode and decode time of 100-item list pages: proto3 JSON and binary
//! protobuf with the generated types, and proto3 JSON with hand-written
//! `serde` structs as the floor for JSON.
//!
//! Run with `cargo bench --bench codec`.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use cwsandbox_control::v1beta2::{ListManagedRunnersResponse, ListProfileTemplatesResponse};
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[path = "support/floor.rs"]
mod floor;
#[path = "support/pages.rs"]
mod pages;

/// Benchmarks JSON and binary encode and decode of one page with the generated type.
fn bench_page<M>(c: &mut Criterion, name: &str, page: &M)
where
    M: Message + Serialize + DeserializeOwned + Default,
{
    let json = serde_json::to_vec(page).expect("the page encodes as JSON");
    let binary = page.encode_to_vec();

    let mut group = c.benchmark_group(format!("{name}/json"));
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("encode", |b| {
        b.iter(|| serde_json::to_vec(black_box(page)).expect("the page encodes as JSON"));
    });
    group.bench_function("decode", |b| {
        b.iter(|| serde_json::from_slice::<M>(black_box(&json)).expect("the page decodes"));
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{name}/proto"));
    group.throughput(Throughput::Bytes(binary.len() as u64));
    group.bench_function("encode", |b| {
        b.iter(|| black_box(page).encode_to_vec());
    });
    group.bench_function("decode", |b| {
        b.iter(|| M::decode(black_box(binary.as_slice())).expect("the page decodes"));
    });
    group.finish();
}

fn templates(c: &mut Criterion) {
    bench_page::<ListProfileTemplatesResponse>(c, "templates_page", &pages::template_page());
}

fn runners(c: &mut Criterion) {
    bench_page::<ListManagedRunnersResponse>(c, "runners_page", &pages::runner_page());
}

/// The JSON floor: the same template page through structs that derive
/// `serde` traits, with no proto3 JSON rules (timestamps stay strings, no
/// `null` handling, no enum names).
fn templates_floor(c: &mut Criterion) {
    let json = serde_json::to_vec(&pages::template_page()).expect("the page encodes as JSON");
    let decoded: floor::TemplatePage =
        serde_json::from_slice(&json).expect("the floor structs decode the generated JSON");
    assert_eq!(decoded.profile_templates.len(), pages::PAGE_ITEMS);

    let mut group = c.benchmark_group("templates_page/json_floor");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("encode", |b| {
        b.iter(|| serde_json::to_vec(black_box(&decoded)).expect("the floor page encodes"));
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            serde_json::from_slice::<floor::TemplatePage>(black_box(&json))
                .expect("the floor page decodes")
        });
    });
    group.finish();
}

/// Decode time against page size, to show that it grows linearly.
fn templates_by_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("templates_page/json_decode_by_items");
    for items in [1usize, 10, 100] {
        let mut page = pages::template_page();
        page.profile_templates.truncate(items);
        let json = serde_json::to_vec(&page).expect("the page encodes as JSON");
        group.throughput(Throughput::Elements(items as u64));
        group.bench_with_input(BenchmarkId::from_parameter(items), &json, |b, json| {
            b.iter(|| {
                serde_json::from_slice::<ListProfileTemplatesResponse>(black_box(json))
                    .expect("the page decodes")
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    templates,
    runners,
    templates_floor,
    templates_by_size
);
criterion_main!(benches);
