use tracer::trace;

#[trace(attributes("" = 1))]
fn checkout() {}

fn main() {}
