use tracer::trace;

#[trace(attributes(http. = 1))]
fn checkout() {}

fn main() {}
