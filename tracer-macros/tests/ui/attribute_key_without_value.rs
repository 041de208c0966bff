use tracer::trace;

#[trace(attributes(user = , size = 1))]
fn checkout(user: &str) {
    let _ = user;
}

fn main() {}
