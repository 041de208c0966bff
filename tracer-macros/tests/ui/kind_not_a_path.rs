use tracer::trace;

#[trace(kind = "server")]
fn checkout() {}

fn main() {}
