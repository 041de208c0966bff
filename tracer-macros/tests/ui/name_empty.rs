use tracer::trace;

#[trace(name = "")]
fn checkout() {}

fn main() {}
