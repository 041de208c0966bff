use tracer::trace;

#[trace(kind = , name = "checkout")]
fn checkout() {}

fn main() {}
