use tracer::trace;

#[trace(attributes(http.method = "GET", size = 1, http.method = "POST"))]
fn checkout() {}

fn main() {}
