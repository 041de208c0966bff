use tracer::trace;

#[trace(args(user), attributes(user = "someone else"))]
fn checkout(user: &str) {
    let _ = user;
}

fn main() {}
