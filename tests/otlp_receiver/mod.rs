//! A scripted OTLP/HTTP receiver on 127.0.0.1 for the `otlp_*` tests.
//!
//! It is a small HTTP/1.1 server on `std::net`: one thread accepts, one
//! thread per connection reads requests (keep-alive, `Content-Length` or
//! chunked bodies, gzip), records them, and answers each with the next
//! scripted [`Reply`] (then the default one). Bodies are decoded with the
//! official `opentelemetry-proto` types and `prost`, or `serde_json`; no
//! tracer code is involved.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span as PbSpan;
use prost::Message;

/// How the receiver answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with an empty `ExportTraceServiceResponse` (protobuf or JSON,
    /// matching the request).
    Ok,
    /// 200 with `partial_success { rejected_spans, error_message }`.
    PartialSuccess { rejected: i64, message: String },
    /// Any status, with extra headers and a plain-text body.
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Reads the request and never answers, until released or dropped.
    Hang,
}

impl Reply {
    /// `code` with a text body.
    pub fn status(code: u16, body: &str) -> Reply {
        Reply::Status {
            code,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    /// `code` with `Retry-After: {retry_after}`.
    pub fn retry_after(code: u16, retry_after: &str) -> Reply {
        Reply::Status {
            code,
            headers: vec![("Retry-After".to_owned(), retry_after.to_owned())],
            body: "busy".to_owned(),
        }
    }

    fn is_success(&self) -> bool {
        matches!(self, Reply::Ok | Reply::PartialSuccess { .. })
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Lowercased names.
    pub headers: Vec<(String, String)>,
    /// The body as sent (maybe gzip).
    pub raw_body: Vec<u8>,
    /// The body after `Content-Encoding` was undone.
    pub body: Vec<u8>,
    /// How it was answered.
    pub reply: Reply,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The body as an `ExportTraceServiceRequest` (protobuf).
    pub fn decode(&self) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::decode(&self.body[..]).expect("a valid ExportTraceServiceRequest")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("valid JSON")
    }

    /// Every span in the request, whatever its encoding.
    pub fn span_ids(&self) -> Vec<[u8; 8]> {
        if self.header("content-type") == Some("application/json") {
            let json = self.json();
            let mut out = Vec::new();
            for rs in json["resourceSpans"].as_array().unwrap() {
                for ss in rs["scopeSpans"].as_array().unwrap() {
                    for span in ss["spans"].as_array().unwrap() {
                        let hex = span["spanId"].as_str().unwrap();
                        let id = u64::from_str_radix(hex, 16).unwrap();
                        out.push(id.to_be_bytes());
                    }
                }
            }
            out
        } else {
            self.spans()
                .iter()
                .map(|s| s.span_id.as_slice().try_into().unwrap())
                .collect()
        }
    }

    /// Every span in a protobuf request.
    pub fn spans(&self) -> Vec<PbSpan> {
        self.decode()
            .resource_spans
            .into_iter()
            .flat_map(|rs| rs.scope_spans)
            .flat_map(|ss| ss.spans)
            .collect()
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    script: VecDeque<Reply>,
    default: Option<Reply>,
    released: bool,
    stopped: bool,
    connections: usize,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The receiver. Dropping it stops accepting and releases hanging replies.
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// A free port on 127.0.0.1 that nothing listens on (yet): connections to
/// it are refused until a receiver starts there.
pub fn reserve_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Receiver {
    /// A receiver on a free port that answers [`Reply::Ok`].
    pub fn start() -> Receiver {
        Receiver::start_on(0)
    }

    /// A receiver on `port` (0 for any).
    pub fn start_on(port: u16) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the test receiver");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let accept_shared = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_shared.lock().stopped {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    accept_shared.lock().connections += 1;
                    let conn_shared = Arc::clone(&accept_shared);
                    std::thread::spawn(move || serve(stream, &conn_shared));
                }
            })
            .unwrap();
        Receiver {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:{port}`: the base endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replies for the next requests, in order; later requests get the
    /// default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().script.extend(replies);
    }

    /// The reply once the script is used up (initially [`Reply::Ok`]).
    pub fn set_default(&self, reply: Reply) {
        self.shared.lock().default = Some(reply);
    }

    /// Lets hanging replies end (their connections are closed unanswered).
    pub fn release(&self) {
        self.shared.lock().released = true;
        self.shared.changed.notify_all();
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Waits until at least `n` requests arrived (at most `timeout`) and
    /// returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Request> {
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

    /// Span ids in requests answered with success, with how often each
    /// arrived.
    pub fn delivered_span_ids(&self) -> Vec<[u8; 8]> {
        self.requests()
            .iter()
            .filter(|r| r.reply.is_success())
            .flat_map(Request::span_ids)
            .collect()
    }

    /// Checks that no span id was delivered twice and returns the set.
    pub fn delivered_once(&self) -> HashSet<[u8; 8]> {
        let ids = self.delivered_span_ids();
        let set: HashSet<[u8; 8]> = ids.iter().copied().collect();
        assert_eq!(set.len(), ids.len(), "some spans were delivered more than once");
        set
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.stopped = true;
            state.released = true;
        }
        self.shared.changed.notify_all();
        // Wake the acceptor.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

/// Serves one connection until it closes.
fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    while let Some(mut request) = read_request(&mut reader) {
        let reply = {
            let mut state = shared.lock();
            if state.stopped {
                return;
            }
            let reply = state
                .script
                .pop_front()
                .or_else(|| state.default.clone())
                .unwrap_or(Reply::Ok);
            request.reply = reply.clone();
            state.requests.push(request.clone());
            reply
        };
        shared.changed.notify_all();
        if let Reply::Hang = reply {
            let mut state = shared.lock();
            while !state.released {
                state = shared.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            return; // Close unanswered.
        }
        let json = request.header("content-type") == Some("application/json");
        let (code, headers, content_type, body) = match reply {
            Reply::Ok => response_body(json, None),
            Reply::PartialSuccess { rejected, message } => response_body(json, Some((rejected, message))),
            Reply::Status { code, headers, body } => (code, headers, "text/plain", body.into_bytes()),
            Reply::Hang => unreachable!(),
        };
        let mut head = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            reason(code),
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

fn response_body(json: bool, partial: Option<(i64, String)>) -> (u16, Vec<(String, String)>, &'static str, Vec<u8>) {
    if json {
        let body = match partial {
            None => "{}".to_owned(),
            Some((rejected, message)) => serde_json::json!({
                "partialSuccess": {"rejectedSpans": rejected.to_string(), "errorMessage": message}
            })
            .to_string(),
        };
        (200, Vec::new(), "application/json", body.into_bytes())
    } else {
        let response = ExportTraceServiceResponse {
            partial_success: partial.map(|(rejected_spans, error_message)| ExportTracePartialSuccess {
                rejected_spans,
                error_message,
            }),
        };
        (200, Vec::new(), "application/x-protobuf", response.encode_to_vec())
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let raw_body = if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
        body
    } else {
        let len: usize = get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; len];
        reader.read_exact(&mut body).ok()?;
        body
    };
    let body = if get("content-encoding").is_some_and(|v| v.eq_ignore_ascii_case("gzip")) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw_body[..])
            .read_to_end(&mut out)
            .expect("a valid gzip body");
        out
    } else {
        raw_body.clone()
    };
    Some(Request {
        method,
        path,
        headers,
        raw_body,
        body,
        reply: Reply::Ok,
    })
}
