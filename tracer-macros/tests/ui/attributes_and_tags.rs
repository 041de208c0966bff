use tracer::trace;

#[trace(attributes(a = 1), tags(b = 2))]
fn checkout() {}

fn main() {}
