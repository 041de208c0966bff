use tracer::trace;

#[trace("checkout")]
fn checkout() {}

fn main() {}
