use tracer::trace;

#[trace(args = user)]
fn checkout(user: &str) {
    let _ = user;
}

fn main() {}
