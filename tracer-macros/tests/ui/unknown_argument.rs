use tracer::trace;

#[trace(nmae = "checkout")]
fn checkout() {}

fn main() {}
