//! What role a span plays.

/// What role a span plays, as OpenTelemetry defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SpanKind {
    /// Work inside the application (the default).
    #[default]
    Internal,
    /// The handling of a request from a remote client.
    Server,
    /// A request to a remote service.
    Client,
    /// The sending of a message to a broker or queue.
    Producer,
    /// The processing of a message from a broker or queue.
    Consumer,
}

impl SpanKind {
    /// The lowercase name: `internal`, `server`, `client`, `producer`,
    /// `consumer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}
