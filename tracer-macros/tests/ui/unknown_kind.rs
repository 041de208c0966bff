use tracer::trace;

#[trace(kind = tracer::SpanKind::Serverr)]
fn checkout() {}

fn main() {}
