use tracer::trace;

#[trace(args(user, user))]
fn checkout(user: &str) {
    let _ = user;
}

fn main() {}
