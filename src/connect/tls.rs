//! TLS client configuration: rustls on the ring provider, chosen explicitly.
//!
//! The provider is passed to rustls directly instead of relying on the
//! process-wide default, because a process that links both ring and
//! aws-lc-rs has no usable default and panics at the first handshake.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use super::builder::BuildError;

/// Builds the rustls client configuration: the built-in roots of the enabled
/// TLS feature plus `extra_roots_pem`. Certificate verification is always on.
pub(crate) fn client_config(
    extra_roots_pem: &[Vec<u8>],
) -> Result<rustls::ClientConfig, BuildError> {
    let mut roots = rustls::RootCertStore::empty();
    add_builtin_roots(&mut roots)?;
    for pem in extra_roots_pem {
        add_pem_roots(&mut roots, pem)?;
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| BuildError::new(format!("TLS setup failed: {error}")).with_source(error))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Adds every certificate of a PEM bundle to the root store.
fn add_pem_roots(roots: &mut rustls::RootCertStore, pem: &[u8]) -> Result<(), BuildError> {
    let mut added = 0;
    for certificate in CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate.map_err(|error| {
            BuildError::new(format!("invalid PEM in a root certificate: {error}"))
        })?;
        roots.add(certificate).map_err(|error| {
            BuildError::new(format!("invalid root certificate: {error}")).with_source(error)
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(BuildError::new(
            "the root certificate PEM contains no CERTIFICATE block; pass the CA certificate \
             in PEM form (-----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(())
}

fn add_builtin_roots(roots: &mut rustls::RootCertStore) -> Result<(), BuildError> {
    #[cfg(feature = "tls-ring-webpki")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());

    #[cfg(feature = "tls-ring-native")]
    {
        let loaded = rustls_native_certs::load_native_certs();
        if loaded.certs.is_empty() && !loaded.errors.is_empty() {
            let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
            return Err(BuildError::new(format!(
                "failed to load the operating system's root certificates: {}",
                errors.join("; ")
            )));
        }
        for error in &loaded.errors {
            tracing::debug!(%error, "skipped a native root certificate source");
        }
        roots.add_parsable_certificates(loaded.certs);
    }

    let _ = &roots;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificate_is_rejected() {
        let mut roots = rustls::RootCertStore::empty();
        let error = add_pem_roots(&mut roots, b"not a pem").unwrap_err();
        assert!(error.to_string().contains("no CERTIFICATE"), "{error}");
    }

    #[test]
    fn garbage_certificate_is_rejected() {
        let pem = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let mut roots = rustls::RootCertStore::empty();
        assert!(add_pem_roots(&mut roots, pem).is_err());
    }
}
