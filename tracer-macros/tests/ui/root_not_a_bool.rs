use tracer::trace;

#[trace(root = yes)]
fn checkout() {}

fn main() {}
