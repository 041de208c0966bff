use tracer::trace;

#[trace(name = "a", kind = Server, name = "b")]
fn checkout() {}

fn main() {}
