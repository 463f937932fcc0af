//! Time of the client's own work around a call: error body decoding, REST
//! path template expansion, and a whole call that returns a 100-item page.
//!
//! The private decoders of `connect` are timed through whole calls: error
//! bodies and pages against a canned loopback server (`support/canned.rs`),
//! request preparation through an interceptor that stops each call before it
//! is sent. Run with `cargo bench --bench client`.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented public function"
)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use cwsandbox_control::connect::{
    Channel, Code, Codec, DEFAULT_COMPRESSION_THRESHOLD, Interceptor, MethodDescriptor, Protocol,
    Status,
};
use cwsandbox_control::v1beta2::{
    GetProfileTemplateRequest, ListProfileTemplatesRequest, RunnerManagementServiceClient,
    UpdateProfileTemplateRequest,
};
use cwsandbox_control::wkt::FieldMask;
use http::StatusCode;
use prost::Message;
use tokio::runtime::Runtime;

#[path = "support/canned.rs"]
mod canned;
#[path = "support/floor.rs"]
mod floor;
#[allow(dead_code, reason = "only the codec benchmark uses the runner page")]
#[path = "support/pages.rs"]
mod pages;
#[path = "support/raw_h2.rs"]
mod raw_h2;

use canned::Canned;

const CONNECT_NOT_FOUND: &str = include_str!("../tests/fixtures/errors/connect-not-found.json");
const REST_ALREADY_EXISTS: &str = include_str!("../tests/fixtures/errors/rest-already-exists.json");

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a Tokio runtime")
}

fn client(base: &str, protocol: Protocol, codec: Codec) -> RunnerManagementServiceClient {
    let channel = Channel::builder(base)
        .protocol(protocol)
        .codec(codec)
        .http2_prior_knowledge()
        .build()
        .expect("a loopback channel builds");
    RunnerManagementServiceClient::new(channel)
}

fn get_request() -> GetProfileTemplateRequest {
    GetProfileTemplateRequest {
        id: "00000000-0000-4000-8000-000000000000".to_string(),
    }
}

/// Whole GetProfileTemplate calls whose response is an error, next to one
/// whose response is a template of about the same size: the difference is
/// the cost of turning the error body into a `Status` with its details.
fn error_bodies(c: &mut Criterion) {
    let runtime = runtime();
    let template_json = serde_json::to_vec(&pages::full_template(0)).expect("JSON encoding");
    let cases = [
        (
            "template_200",
            Protocol::Connect,
            Canned {
                status: StatusCode::OK,
                content_type: "application/json",
                body: Bytes::from(template_json),
            },
            true,
        ),
        (
            "connect_error_404",
            Protocol::Connect,
            Canned {
                status: StatusCode::NOT_FOUND,
                content_type: "application/json",
                body: Bytes::from_static(CONNECT_NOT_FOUND.as_bytes()),
            },
            false,
        ),
        (
            "rest_google_rpc_status_409",
            Protocol::Rest,
            Canned {
                status: StatusCode::CONFLICT,
                content_type: "application/json",
                body: Bytes::from_static(REST_ALREADY_EXISTS.as_bytes()),
            },
            false,
        ),
    ];
    let mut group = c.benchmark_group("error_body_call");
    for (name, protocol, canned, succeeds) in cases {
        let base = runtime.block_on(canned::serve(canned));
        let client = client(&base, protocol, Codec::Json);
        let outcome = runtime.block_on(client.get_profile_template(get_request()));
        assert_eq!(outcome.is_ok(), succeeds, "{name}: {outcome:?}");
        if let Err(status) = &outcome {
            assert!(status.error_info().is_some(), "{name}: {status:?}");
        }
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(client.get_profile_template(get_request()).await) });
        });
    }
    group.finish();
}

/// Stops every call in `before`, after the request is fully built.
struct StopBeforeSend;

impl Interceptor for StopBeforeSend {
    fn before(
        &self,
        _method: &MethodDescriptor,
        _request: &mut http::request::Parts,
    ) -> Result<(), Status> {
        Err(Status::new(Code::Canceled, "stopped before sending"))
    }
}

fn stopped_client(
    protocol: Protocol,
    compression_threshold: Option<usize>,
) -> RunnerManagementServiceClient {
    // Port 9 (discard) on loopback is never contacted: the interceptor stops
    // each call before a connection is needed.
    let channel = Channel::builder("http://127.0.0.1:9")
        .protocol(protocol)
        .request_compression_threshold(compression_threshold)
        .interceptor(StopBeforeSend)
        .build()
        .expect("a loopback channel builds");
    RunnerManagementServiceClient::new(channel)
}

/// Request preparation with and without REST transcoding: the same call as
/// Connect (a fixed path) and as REST (a path template with a field to
/// expand, and a field mask to move into the query string). The Update body
/// (a full template, about 1.2 KB of JSON) passes the default Connect request
/// compression threshold, so it is timed with and without gzip.
fn path_templates(c: &mut Criterion) {
    let runtime = runtime();
    let default_threshold = Some(DEFAULT_COMPRESSION_THRESHOLD);
    let connect = stopped_client(Protocol::Connect, default_threshold);
    let connect_uncompressed = stopped_client(Protocol::Connect, None);
    let rest = stopped_client(Protocol::Rest, default_threshold);
    let update = UpdateProfileTemplateRequest {
        profile_template: Some(pages::full_template(0)),
        update_mask: Some(FieldMask {
            paths: vec!["description".to_string(), "labels".to_string()],
        }),
    };
    let outcome = runtime.block_on(rest.get_profile_template(get_request()));
    assert_eq!(
        outcome.as_ref().map_err(Status::code).err(),
        Some(Code::Canceled),
        "the interceptor stops the call: {outcome:?}"
    );

    let mut group = c.benchmark_group("prepare_call");
    group.bench_function("get_connect", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(connect.get_profile_template(get_request()).await) });
    });
    group.bench_function("get_rest_path_template", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(rest.get_profile_template(get_request()).await) });
    });
    group.bench_function("update_connect", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(connect.update_profile_template(update.clone()).await) });
    });
    group.bench_function("update_connect_uncompressed", |b| {
        b.to_async(&runtime).iter(|| async {
            black_box(
                connect_uncompressed
                    .update_profile_template(update.clone())
                    .await,
            )
        });
    });
    group.bench_function("update_rest_path_template_and_mask", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(rest.update_profile_template(update.clone()).await) });
    });
    group.finish();
}

/// Times whole ListProfileTemplates calls whose response is the 100-template
/// page, in each codec, over loopback HTTP/2 to an in-process server.
///
/// Two floors use the same server over raw hyper: `raw_transport` only reads
/// the JSON body, `raw_serde_floor` also decodes it with the hand-written
/// structs of `support/floor.rs`. The client's own JSON decode path (checks
/// and parse) is `json - raw_transport`, its floor `raw_serde_floor -
/// raw_transport`.
fn page_calls(c: &mut Criterion) {
    let runtime = runtime();
    let page = pages::template_page();
    let cases = [
        (
            "json",
            Codec::Json,
            "application/json",
            serde_json::to_vec(&page).expect("JSON encoding"),
        ),
        (
            "proto",
            Codec::Proto,
            "application/proto",
            page.encode_to_vec(),
        ),
    ];
    let request = ListProfileTemplatesRequest {
        page_size: 100,
        page_token: String::new(),
    };
    let mut group = c.benchmark_group("list_page_call");
    for (name, codec, content_type, body) in cases {
        let base = runtime.block_on(canned::serve(Canned {
            status: StatusCode::OK,
            content_type,
            body: Bytes::from(body),
        }));
        let client = client(&base, Protocol::Connect, codec);
        let decoded = runtime
            .block_on(client.list_profile_templates(request.clone()))
            .expect("the canned page decodes");
        assert_eq!(decoded.profile_templates.len(), pages::PAGE_ITEMS);
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { black_box(client.list_profile_templates(request.clone()).await) });
        });
        if codec == Codec::Json {
            bench_raw_floors(&runtime, &mut group, &base);
        }
    }
    group.finish();
}

fn bench_raw_floors(
    runtime: &Runtime,
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    base: &str,
) {
    let sender = runtime.block_on(raw_h2::connect(base));
    let uri =
        format!("{base}/coreweave.sandbox.v1beta2.RunnerManagementService/ListProfileTemplates");
    let body = Bytes::from_static(br#"{"pageSize":100}"#);
    let page = runtime.block_on(raw_h2::post(
        &sender,
        &uri,
        "application/json",
        body.clone(),
    ));
    let decoded: floor::TemplatePage =
        serde_json::from_slice(&page).expect("the floor structs decode the canned page");
    assert_eq!(decoded.profile_templates.len(), pages::PAGE_ITEMS);
    group.bench_function("raw_transport", |b| {
        b.to_async(runtime).iter(|| async {
            black_box(raw_h2::post(&sender, &uri, "application/json", body.clone()).await)
        });
    });
    group.bench_function("raw_serde_floor", |b| {
        b.to_async(runtime).iter(|| async {
            let page = raw_h2::post(&sender, &uri, "application/json", body.clone()).await;
            black_box(serde_json::from_slice::<floor::TemplatePage>(&page).expect("decodes"))
        });
    });
}

criterion_group!(benches, error_bodies, path_templates, page_calls);
criterion_main!(benches);
