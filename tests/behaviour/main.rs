//! Behaviour tests through the facade, in one binary (one link instead of
//! one per file). They share one provider, the test reporter in `common`:
//! each test runs inside a root span of its own and reads back only that
//! trace, so they run in parallel. Tests that need a provider of their own
//! (another sampler, a logger of their own, fault injection, shutdown) are
//! binaries of their own in `tests/`.

#[path = "../common/mod.rs"]
mod common;
#[cfg(feature = "otlp-grpc")]
#[path = "../otlp_grpc_receiver/mod.rs"]
mod otlp_grpc_receiver;
#[cfg(feature = "otlp")]
#[path = "../otlp_receiver/mod.rs"]
mod otlp_receiver;

mod async_context;
mod bridge_events;
mod bridge_spans;
mod context;
mod cross_thread;
mod deep_nesting;
mod exporters;
mod grpc_services;
mod hot_path;
mod http_services;
mod log_integration;
mod otlp_export;
mod otlp_grpc_export;
mod processors;
mod propagation;
mod reqwest_client;
mod span_model;
mod trace_args;
mod trace_async;
mod trace_async_trait;
mod trace_attributes;
mod trace_crate_path;
mod trace_errors;
mod trace_generics;
mod trace_impl_block;
mod trace_impl_future;
mod trace_methods;
mod trace_name_kind;
mod trace_panics;
mod trace_root;
mod trace_sync;
mod trace_unsafe;
