use tracer::trace;

#[trace(crate = "tracer")]
fn checkout() {}

fn main() {}
