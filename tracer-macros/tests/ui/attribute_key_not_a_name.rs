use tracer::trace;

#[trace(attributes(1 = "one"))]
fn checkout() {}

fn main() {}
