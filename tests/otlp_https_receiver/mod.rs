//! Test certificates and an OTLP/HTTPS receiver for the TLS tests.
//!
//! [`Pki`] makes, with rcgen, a CA, a server certificate for `localhost`
//! and `127.0.0.1` and a client certificate, both signed by the CA, and an
//! unrelated CA. [`HttpsReceiver`] is an HTTP/1.1 server over rustls on
//! 127.0.0.1 (one request per connection), requiring a client certificate
//! signed by the CA when asked; it decodes bodies with the official
//! `opentelemetry-proto` types. The gRPC tests use tonic's server TLS with
//! the same certificates.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// PEM certificates and keys for one test.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// A CA that signed none of these.
    pub other_ca_pem: String,
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    pub fn new() -> Pki {
        let ca = new_ca("tracer test CA");
        let (server_cert_pem, server_key_pem) =
            leaf(&ca, &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth);
        let (client_cert_pem, client_key_pem) = leaf(&ca, &["tracer-client"], ExtendedKeyUsagePurpose::ClientAuth);
        Pki {
            ca_pem: ca.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
            other_ca_pem: new_ca("another CA").pem(),
        }
    }

    /// Writes the PEMs into a fresh directory under the target's temp dir
    /// and returns it (ca.pem, client.pem, client.key, other-ca.pem).
    pub fn write_files(&self, name: &str) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("otlp-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (file, pem) in [
            ("ca.pem", &self.ca_pem),
            ("client.pem", &self.client_cert_pem),
            ("client.key", &self.client_key_pem),
            ("other-ca.pem", &self.other_ca_pem),
        ] {
            std::fs::write(dir.join(file), pem).unwrap();
        }
        dir
    }

    /// tonic's server TLS: this server certificate, and a client
    /// certificate signed by the CA required when `mutual`.
    pub fn tonic_server(&self, mutual: bool) -> tonic::transport::ServerTlsConfig {
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let config = ServerTlsConfig::new().identity(Identity::from_pem(&self.server_cert_pem, &self.server_key_pem));
        if mutual {
            config.client_ca_root(Certificate::from_pem(&self.ca_pem))
        } else {
            config
        }
    }

    fn rustls_server(
        &self,
        mutual: bool,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap();
        let builder = if mutual {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).unwrap())
                .unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let chain = vec![CertificateDer::from_pem_slice(self.server_cert_pem.as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes()).unwrap();
        builder.with_single_cert(chain, key).unwrap()
    }
}

#[derive(Default)]
struct State {
    requests: Vec<ExportTraceServiceRequest>,
    failed_handshakes: Vec<String>,
    stopped: bool,
}

/// An OTLP/HTTPS receiver; stops accepting when dropped.
pub struct HttpsReceiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    acceptor: Option<JoinHandle<()>>,
}

impl HttpsReceiver {
    /// Serves with `pki`'s server certificate over TLS 1.3 or 1.2; with
    /// `mutual`, only to clients presenting a certificate signed by its CA.
    pub fn start(pki: &Pki, mutual: bool) -> HttpsReceiver {
        HttpsReceiver::start_with_versions(pki, mutual, rustls::DEFAULT_VERSIONS)
    }

    /// The same over TLS 1.2 only, where a server refuses a client's
    /// certificate within the handshake (TLS 1.3 does it after, so the
    /// client may see the connection closed before it reads why).
    pub fn start_tls12(pki: &Pki, mutual: bool) -> HttpsReceiver {
        HttpsReceiver::start_with_versions(pki, mutual, &[&rustls::version::TLS12])
    }

    fn start_with_versions(
        pki: &Pki,
        mutual: bool,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> HttpsReceiver {
        let config = Arc::new(pki.rustls_server(mutual, versions));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let acceptor = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.lock().unwrap().stopped {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (config, shared) = (config.clone(), shared.clone());
                std::thread::spawn(move || serve(stream, config, &shared));
            }
        });
        HttpsReceiver {
            addr,
            state,
            acceptor: Some(acceptor),
        }
    }

    /// `https://localhost:{port}`: the name the server certificate is for.
    pub fn endpoint(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// The requests received, decoded.
    pub fn requests(&self) -> Vec<ExportTraceServiceRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Why each failed handshake failed, as the server saw it.
    pub fn failed_handshakes(&self) -> Vec<String> {
        self.state.lock().unwrap().failed_handshakes.clone()
    }

    /// The failed handshakes once there are `n` (the server's side of a
    /// failure may end after the client's), waiting at most 10 s.
    pub fn wait_for_failed_handshakes(&self, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let failed = self.failed_handshakes();
            if failed.len() >= n || std::time::Instant::now() >= deadline {
                return failed;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for HttpsReceiver {
    fn drop(&mut self) {
        self.state.lock().unwrap().stopped = true;
        // Wakes the acceptor from `accept`, to see it should stop.
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Sends the alert, then reads what the client still sends before closing:
/// closing with unread data resets the connection, and the client could
/// lose the alert that says why it was refused.
fn linger(mut tls: rustls::StreamOwned<rustls::ServerConnection, std::net::TcpStream>) {
    while tls.conn.wants_write() {
        if tls.conn.write_tls(&mut tls.sock).is_err() {
            return;
        }
    }
    let _ = tls.sock.shutdown(std::net::Shutdown::Write);
    let _ = tls.sock.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut sink = [0; 4096];
    while matches!(tls.sock.read(&mut sink), Ok(n) if n > 0) {}
}

fn serve(stream: std::net::TcpStream, config: Arc<rustls::ServerConfig>, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(30)));
    let connection = rustls::ServerConnection::new(config).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, stream);
    // Finish the handshake first, to tell its failures from the request's.
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            state.lock().unwrap().failed_handshakes.push(e.to_string());
            linger(tls);
            return;
        }
    }
    let mut reader = BufReader::new(&mut tls);
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    drop(reader);
    let request = ExportTraceServiceRequest::decode(&body[..]).expect("an ExportTraceServiceRequest");
    state.lock().unwrap().requests.push(request);
    let _ = tls.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
}
