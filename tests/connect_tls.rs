//! TLS against servers on 127.0.0.1 with certificates made in the test:
//! verification is always on, extra roots come from PEM, ALPN picks HTTP/2.

#![cfg(any(feature = "tls-ring-webpki", feature = "tls-ring-native"))]

#[path = "support/connect_server.rs"]
mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cwsandbox_control::connect::{Channel, Code, Protocol, Request, Status};
use cwsandbox_control::v1beta2::runner_management_service::GET_PROFILE_TEMPLATE;
use cwsandbox_control::v1beta2::{GetProfileTemplateRequest, ProfileTemplate};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use server::{RecordedRequest, http_response, read_request};
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

struct Pki {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    leaf_key: PrivateKeyDer<'static>,
}

/// Makes a CA and a leaf certificate for `names`, signed by the CA.
fn make_pki(names: &[&str]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "transport test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");

    let leaf_key = KeyPair::generate().expect("leaf key");
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    let leaf = CertificateParams::new(names)
        .expect("leaf parameters")
        .signed_by(&leaf_key, &ca)
        .expect("leaf certificate");
    Pki {
        ca_pem: ca.pem(),
        leaf: leaf.der().clone(),
        leaf_key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
    }
}

fn server_config(pki: &Pki, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![pki.leaf.clone()], pki.leaf_key.clone_key())
        .expect("server certificate");
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    Arc::new(config)
}

/// Serves HTTP/1.1 over TLS, recording each request.
async fn spawn_https1(pki: &Pki) -> (SocketAddr, Arc<Mutex<Vec<RecordedRequest>>>) {
    let acceptor = TlsAcceptor::from(server_config(pki, &[b"http/1.1"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port on 127.0.0.1");
    let addr = listener
        .local_addr()
        .expect("local address of the listener");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(stream).await else {
                    return;
                };
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                recorded.lock().expect("request log lock").push(request);
                let body = br#"{"id": "tpl-1"}"#;
                let response =
                    http_response("200 OK", &[("Content-Type", "application/json")], body);
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, requests)
}

async fn get(
    channel: &Channel,
) -> Result<cwsandbox_control::connect::Response<ProfileTemplate>, Status> {
    let request = Request::new(GetProfileTemplateRequest {
        id: "tpl-1".to_string(),
    })
    .with_timeout(Duration::from_secs(5));
    channel.unary(&GET_PROFILE_TEMPLATE, request).await
}

#[tokio::test]
async fn added_root_certificate_is_trusted() {
    let pki = make_pki(&["localhost", "127.0.0.1"]);
    let (addr, requests) = spawn_https1(&pki).await;
    for protocol in [Protocol::Rest, Protocol::Connect] {
        let channel = Channel::builder(format!("https://{addr}"))
            .protocol(protocol)
            .bearer_token("t0ken")
            .add_root_certificate_pem(pki.ca_pem.as_bytes())
            .build()
            .unwrap();
        let response = get(&channel).await.unwrap();
        assert_eq!(response.get_ref().id, "tpl-1");
        assert_eq!(response.http_version(), http::Version::HTTP_11);
    }
    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("authorization"), Some("Bearer t0ken"));
}

#[tokio::test]
async fn unknown_certificate_authority_fails_unsent() {
    let pki = make_pki(&["localhost", "127.0.0.1"]);
    let (addr, requests) = spawn_https1(&pki).await;
    let other = make_pki(&["localhost"]);
    let channel = Channel::builder(format!("https://{addr}"))
        .bearer_token("t0ken")
        .add_root_certificate_pem(other.ca_pem.as_bytes())
        .build()
        .unwrap();
    let status = get(&channel).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    assert!(status.is_unsent(), "{status}");
    assert!(status.is_connect(), "{status}");
    assert!(status.message().contains("certificate"), "{status}");
    assert!(requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn certificate_for_another_name_fails() {
    let pki = make_pki(&["example.test"]);
    let (addr, requests) = spawn_https1(&pki).await;
    let channel = Channel::builder(format!("https://{addr}"))
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();
    let status = get(&channel).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status}");
    assert!(status.is_unsent(), "{status}");
    assert!(requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_root_pem_fails_the_build() {
    let error = Channel::builder("https://127.0.0.1:1")
        .add_root_certificate_pem(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
        )
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("certificate"), "{error}");
}

#[tokio::test]
async fn alpn_negotiates_http2() {
    use hyper::server::conn::http2;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let pki = make_pki(&["127.0.0.1"]);
    let acceptor = TlsAcceptor::from(server_config(&pki, &[b"h2", b"http/1.1"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_request| async {
                    let response = http::Response::builder()
                        .header("content-type", "application/json")
                        .body(http_body_util::Full::new(bytes::Bytes::from_static(
                            br#"{"id": "tpl-1"}"#,
                        )))
                        .unwrap();
                    Ok::<_, std::convert::Infallible>(response)
                });
                let _ = http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let channel = Channel::builder(format!("https://{addr}"))
        .protocol(Protocol::Connect)
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();
    let response = get(&channel).await.unwrap();
    assert_eq!(response.http_version(), http::Version::HTTP_2);
    assert_eq!(response.get_ref().id, "tpl-1");
}
