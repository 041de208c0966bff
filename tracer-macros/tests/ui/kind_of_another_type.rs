use tracer::trace;

mod other {
    #[derive(Clone, Copy)]
    pub enum SpanKind {
        Server,
    }
}

// A path is used as written: it must name `tracer::SpanKind`'s variant.
#[trace(kind = other::SpanKind::Server)]
fn checkout() {}

fn main() {}
