use tracer::trace;

#[trace(kind = tracer::SpanKind::Server::<u8>)]
fn checkout() {}

fn main() {}
