use tracer::trace;

#[trace(attributes(user))]
fn checkout(user: &str) {
    let _ = user;
}

fn main() {}
