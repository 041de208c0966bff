use tracer::trace;

#[trace(name = "checkout" kind = Server)]
fn checkout() {}

fn main() {}
