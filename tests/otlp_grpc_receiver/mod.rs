//! A scripted OTLP/gRPC receiver on 127.0.0.1 for the `otlp_grpc*` tests:
//! tonic's real server with opentelemetry-proto's generated
//! `TraceService`, on a tokio runtime of its own thread. It records each
//! request (decoded by tonic and prost with the official types, gzip
//! accepted) with its metadata, and answers with the next scripted
//! [`GrpcReply`] (then the default one). No tracer code is involved.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span as PbSpan;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Server, ServerTlsConfig};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// How the receiver answers one call.
#[derive(Clone, Debug)]
pub enum GrpcReply {
    /// OK with an empty response.
    Ok,
    /// OK with `partial_success { rejected_spans, error_message }`.
    PartialSuccess { rejected: i64, message: String },
    /// A status; with `retry_delay`, a `google.rpc.RetryInfo` in its
    /// details (built by tonic-types, the official encoding).
    Status {
        code: Code,
        message: String,
        retry_delay: Option<Duration>,
    },
    /// Never answers, until released or dropped.
    Hang,
}

impl GrpcReply {
    pub fn status(code: Code, message: &str) -> GrpcReply {
        GrpcReply::Status {
            code,
            message: message.to_owned(),
            retry_delay: None,
        }
    }

    pub fn retry_info(code: Code, message: &str, delay: Duration) -> GrpcReply {
        GrpcReply::Status {
            code,
            message: message.to_owned(),
            retry_delay: Some(delay),
        }
    }

    fn is_success(&self) -> bool {
        matches!(self, GrpcReply::Ok | GrpcReply::PartialSuccess { .. })
    }
}

/// One call as received.
#[derive(Clone, Debug)]
pub struct GrpcRequest {
    /// Metadata (HTTP/2 headers), names lowercase.
    pub metadata: Vec<(String, String)>,
    pub request: ExportTraceServiceRequest,
    pub reply: GrpcReply,
}

impl GrpcRequest {
    pub fn metadata(&self, name: &str) -> Option<&str> {
        self.metadata.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn spans(&self) -> Vec<PbSpan> {
        self.request
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| ss.spans.clone())
            .collect()
    }

    pub fn span_ids(&self) -> Vec<[u8; 8]> {
        self.spans()
            .iter()
            .map(|s| s.span_id.as_slice().try_into().unwrap())
            .collect()
    }
}

#[derive(Default)]
struct State {
    requests: Vec<GrpcRequest>,
    script: VecDeque<GrpcReply>,
    default: Option<GrpcReply>,
    released: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    release: tokio::sync::Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Service(Arc<Shared>);

#[tonic::async_trait]
impl TraceService for Service {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let metadata = request
            .metadata()
            .clone()
            .into_headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("<binary>").to_owned()))
            .collect();
        let reply = {
            let mut state = self.0.lock();
            let reply = state
                .script
                .pop_front()
                .or_else(|| state.default.clone())
                .unwrap_or(GrpcReply::Ok);
            state.requests.push(GrpcRequest {
                metadata,
                request: request.into_inner(),
                reply: reply.clone(),
            });
            self.0.changed.notify_all();
            reply
        };
        match reply {
            GrpcReply::Ok => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
            GrpcReply::PartialSuccess { rejected, message } => Ok(tonic::Response::new(ExportTraceServiceResponse {
                partial_success: Some(ExportTracePartialSuccess {
                    rejected_spans: rejected,
                    error_message: message,
                }),
            })),
            GrpcReply::Status {
                code,
                message,
                retry_delay: None,
            } => Err(Status::new(code, message)),
            GrpcReply::Status {
                code,
                message,
                retry_delay: Some(delay),
            } => Err(Status::with_error_details(
                code,
                message,
                ErrorDetails::with_retry_info(Some(delay)),
            )),
            GrpcReply::Hang => loop {
                let released = self.0.release.notified();
                if self.0.lock().released {
                    return Err(Status::unavailable("released"));
                }
                released.await;
            },
        }
    }
}

/// The receiver; stops when dropped.
pub struct GrpcReceiver {
    addr: SocketAddr,
    tls: bool,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl GrpcReceiver {
    /// A plain-HTTP/2 receiver on a free port that answers [`GrpcReply::Ok`].
    pub fn start() -> GrpcReceiver {
        GrpcReceiver::start_on(0)
    }

    /// A plain-HTTP/2 receiver on `port` (0 for any).
    pub fn start_on(port: u16) -> GrpcReceiver {
        GrpcReceiver::start_with(port, None)
    }

    /// A receiver on `port` (0 for any), with TLS when `tls` is given.
    pub fn start_with(port: u16, tls: Option<ServerTlsConfig>) -> GrpcReceiver {
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, bound_rx) = std::sync::mpsc::channel();
        let with_tls = tls.is_some();
        let service = Service(shared.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                bound.send(listener.local_addr().unwrap()).unwrap();
                let mut server = Server::builder();
                if let Some(tls) = tls {
                    server = server.tls_config(tls).unwrap();
                }
                let service = TraceServiceServer::new(service)
                    .accept_compressed(CompressionEncoding::Gzip)
                    .send_compressed(CompressionEncoding::Gzip);
                // Not a graceful shutdown: that would wait for clients'
                // idle connections, which an exporter keeps open. Leaving
                // `block_on` drops the runtime, and every connection with it.
                let serve = server
                    .add_service(service)
                    .serve_with_incoming(TcpIncoming::from(listener));
                tokio::select! {
                    served = serve => served.unwrap(),
                    _ = stopped => {}
                }
            });
        });
        let addr = bound_rx.recv().expect("the receiver started");
        GrpcReceiver {
            addr,
            tls: with_tls,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The endpoint to give the exporter.
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.addr.port())
    }

    /// The endpoint with `localhost`, the name test certificates are for.
    pub fn endpoint_localhost(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://localhost:{}", self.addr.port())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Answers the next calls with `replies`, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = GrpcReply>) {
        self.shared.lock().script.extend(replies);
    }

    /// Answers unscripted calls with `reply`.
    pub fn set_default(&self, reply: GrpcReply) {
        self.shared.lock().default = Some(reply);
    }

    /// Lets hanging calls end (with UNAVAILABLE) and makes later `Hang`s
    /// end at once.
    pub fn release(&self) {
        self.shared.lock().released = true;
        self.shared.release.notify_waiters();
    }

    pub fn requests(&self) -> Vec<GrpcRequest> {
        self.shared.lock().requests.clone()
    }

    /// Waits until `n` calls arrived or `timeout` passed.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<GrpcRequest> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.requests.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state.requests.clone()
    }

    /// The ids of spans in calls answered with success, each once.
    pub fn delivered_once(&self) -> HashSet<[u8; 8]> {
        let ids: Vec<[u8; 8]> = self
            .requests()
            .iter()
            .filter(|r| r.reply.is_success())
            .flat_map(|r| r.span_ids())
            .collect();
        let set: HashSet<[u8; 8]> = ids.iter().copied().collect();
        assert_eq!(set.len(), ids.len(), "some spans were delivered more than once");
        set
    }
}

impl Drop for GrpcReceiver {
    fn drop(&mut self) {
        self.release();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
