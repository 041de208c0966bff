use tracer::trace;

#[trace(name = checkout)]
fn checkout() {}

fn main() {}
