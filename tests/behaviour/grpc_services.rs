//! A real tonic server with the SERVER layer, a real tonic client with the
//! CLIENT layer, on 127.0.0.1: one trace from the caller's span through the
//! call's metadata to the handler; an OK unary call (status 0 in the
//! trailers), a failing one (a trailers-only response) and a server stream
//! that fails in its trailers after three messages.
//!
//! The service is written out as tonic's code generator would write it
//! (`test.Inventory`, prost messages), so no `.proto` build is needed.
#![cfg(feature = "tonic")]

use crate::common;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Status};
use tonic_prost::ProstCodec;
use tower::ServiceBuilder;
use tracer::grpc::{GrpcClientLayer, GrpcClientService, GrpcServerLayer};
use tracer::propagation::{Baggage, BaggageFutureExt};
use tracer::{FutureExt, Span, SpanData, SpanKind, Status as SpanStatus, Value, current_span_id, trace};

#[derive(Clone, PartialEq, prost::Message)]
struct Item {
    #[prost(string, tag = "1")]
    sku: String,
    #[prost(uint32, tag = "2")]
    count: u32,
    /// What the handler saw: its current span and the inbound baggage.
    #[prost(string, tag = "3")]
    seen_span: String,
    #[prost(string, tag = "4")]
    seen_tenant: String,
}

#[trace]
async fn count_stock(sku: &str) -> u32 {
    tokio::task::yield_now().await;
    sku.len() as u32
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// `test.Inventory`: `Lookup` (unary; `missing` fails with NOT_FOUND) and
/// `Watch` (server streaming: three items, then UNAVAILABLE in the
/// trailers).
#[derive(Clone)]
struct Inventory;

struct Lookup;

impl tonic::server::UnaryService<Item> for Lookup {
    type Response = Item;
    type Future = BoxFuture<Result<tonic::Response<Item>, Status>>;

    fn call(&mut self, request: tonic::Request<Item>) -> Self::Future {
        Box::pin(async move {
            let item = request.into_inner();
            if item.sku == "missing" {
                return Err(Status::not_found("no such sku: missing"));
            }
            let count = count_stock(&item.sku).await;
            Ok(tonic::Response::new(Item {
                count,
                seen_span: current_span_id().map(|id| id.to_string()).unwrap_or_default(),
                seen_tenant: Baggage::current().get("tenant").unwrap_or("").to_owned(),
                sku: item.sku,
            }))
        })
    }
}

struct Watch;

impl tonic::server::ServerStreamingService<Item> for Watch {
    type Response = Item;
    type ResponseStream = tokio_stream::Iter<std::vec::IntoIter<Result<Item, Status>>>;
    type Future = BoxFuture<Result<tonic::Response<Self::ResponseStream>, Status>>;

    fn call(&mut self, request: tonic::Request<Item>) -> Self::Future {
        let sku = request.into_inner().sku;
        Box::pin(async move {
            let mut items: Vec<Result<Item, Status>> = (1..=3)
                .map(|count| {
                    Ok(Item {
                        sku: sku.clone(),
                        count,
                        ..Item::default()
                    })
                })
                .collect();
            items.push(Err(Status::unavailable("feed ended")));
            Ok(tonic::Response::new(tokio_stream::iter(items)))
        })
    }
}

impl<B> tower::Service<http::Request<B>> for Inventory
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut grpc = tonic::server::Grpc::new(ProstCodec::<Item, Item>::default());
        match request.uri().path() {
            "/test.Inventory/Lookup" => Box::pin(async move { Ok(grpc.unary(Lookup, request).await) }),
            "/test.Inventory/Watch" => Box::pin(async move { Ok(grpc.server_streaming(Watch, request).await) }),
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

impl tonic::server::NamedService for Inventory {
    const NAME: &'static str = "test.Inventory";
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .layer(GrpcServerLayer::new())
        .add_service(Inventory);
    tokio::spawn(server.serve_with_incoming(TcpIncoming::from(listener)));
    addr
}

type TracedChannel = GrpcClientService<tonic::transport::Channel>;

async fn client(addr: SocketAddr) -> tonic::client::Grpc<TracedChannel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let channel = ServiceBuilder::new()
        .layer(GrpcClientLayer::new().server_address("127.0.0.1", addr.port()))
        .service(channel);
    tonic::client::Grpc::new(channel)
}

async fn lookup(client: &mut tonic::client::Grpc<TracedChannel>, sku: &str) -> Result<Item, Status> {
    client.ready().await.unwrap();
    let request = tonic::Request::new(Item {
        sku: sku.to_owned(),
        ..Item::default()
    });
    let path = http::uri::PathAndQuery::from_static("/test.Inventory/Lookup");
    Ok(client
        .unary(request, path, ProstCodec::<Item, Item>::default())
        .await?
        .into_inner())
}

/// Runs `call` in a fresh root span, with `tenant=acme` baggage, and
/// returns its output and the trace.
async fn in_root<T>(call: impl Future<Output = T>) -> (T, Vec<SpanData>) {
    common::exporter();
    let root = Span::root("grpc_caller");
    let trace_id = root.trace_id().unwrap();
    let baggage = Baggage::default().with("tenant", "acme").unwrap();
    let out = call.with_baggage(baggage).in_span(root).await;
    (out, common::trace(trace_id))
}

fn kind(spans: &[SpanData], kind: SpanKind) -> &SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.kind == kind).collect();
    assert_eq!(found.len(), 1, "one {kind:?} span in {:?}", common::names(spans));
    found[0]
}

fn attr<'a>(span: &'a SpanData, key: &str) -> &'a Value {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
        .unwrap_or_else(|| panic!("{} has no {key}", span.name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ok_call_is_one_trace_from_client_to_handler() {
    let addr = serve().await;
    let mut client = client(addr).await;
    let (item, spans) = in_root(lookup(&mut client, "sku-42")).await;
    let item = item.unwrap();
    assert_eq!(item.count, 6);

    assert_eq!(spans.len(), 4, "{:?}", common::names(&spans));
    let root = common::one(&spans, "grpc_caller");
    let client_span = kind(&spans, SpanKind::Client);
    let server_span = kind(&spans, SpanKind::Server);
    let handler = common::one(&spans, "count_stock");
    common::assert_child_of(client_span, root);
    common::assert_child_of(server_span, client_span);
    assert!(server_span.parent_is_remote, "the parent came in the metadata");
    common::assert_child_of(handler, server_span);
    // The handler ran with the SERVER span and the inbound baggage current.
    assert_eq!(item.seen_span, server_span.span_id().to_string());
    assert_eq!(item.seen_tenant, "acme");

    for span in [client_span, server_span] {
        assert_eq!(span.name, "test.Inventory/Lookup");
        assert_eq!(attr(span, "rpc.system"), &Value::from("grpc"));
        assert_eq!(attr(span, "rpc.service"), &Value::from("test.Inventory"));
        assert_eq!(attr(span, "rpc.method"), &Value::from("Lookup"));
        assert_eq!(attr(span, "rpc.grpc.status_code"), &Value::from(0));
        assert_eq!(attr(span, "server.address"), &Value::from("127.0.0.1"));
        assert_eq!(attr(span, "server.port"), &Value::from(addr.port()));
        assert_eq!(span.status, SpanStatus::Unset, "{:?}", span.kind);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_call_marks_both_spans_as_errors() {
    let addr = serve().await;
    let mut client = client(addr).await;
    let (result, spans) = in_root(lookup(&mut client, "missing")).await;
    let status = result.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    assert_eq!(spans.len(), 3, "{:?}", common::names(&spans));
    let client_span = kind(&spans, SpanKind::Client);
    let server_span = kind(&spans, SpanKind::Server);
    common::assert_child_of(server_span, client_span);
    for span in [client_span, server_span] {
        assert_eq!(attr(span, "rpc.grpc.status_code"), &Value::from(5));
        assert_eq!(
            span.status,
            SpanStatus::error("no such sku: missing"),
            "{:?}",
            span.kind
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_failing_in_its_trailers_ends_its_spans_with_the_error() {
    let addr = serve().await;
    let mut client = client(addr).await;
    let ((counts, status), spans) = in_root(async {
        client.ready().await.unwrap();
        let request = tonic::Request::new(Item {
            sku: "sku-7".into(),
            ..Item::default()
        });
        let path = http::uri::PathAndQuery::from_static("/test.Inventory/Watch");
        let mut stream = client
            .server_streaming(request, path, ProstCodec::<Item, Item>::default())
            .await
            .unwrap()
            .into_inner();
        let mut counts = Vec::new();
        let status = loop {
            match stream.message().await {
                Ok(Some(item)) => counts.push(item.count),
                Ok(None) => panic!("the stream should end with UNAVAILABLE"),
                Err(status) => break status,
            }
        };
        (counts, status)
    })
    .await;
    assert_eq!(counts, [1, 2, 3]);
    assert_eq!(status.code(), Code::Unavailable);

    assert_eq!(spans.len(), 3, "{:?}", common::names(&spans));
    let client_span = kind(&spans, SpanKind::Client);
    let server_span = kind(&spans, SpanKind::Server);
    common::assert_child_of(server_span, client_span);
    for span in [client_span, server_span] {
        assert_eq!(span.name, "test.Inventory/Watch");
        assert_eq!(attr(span, "rpc.grpc.status_code"), &Value::from(14));
        assert_eq!(span.status, SpanStatus::error("feed ended"), "{:?}", span.kind);
    }
}
