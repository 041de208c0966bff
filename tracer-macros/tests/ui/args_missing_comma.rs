use tracer::trace;

#[trace(args(user order))]
fn checkout(user: &str, order: u64) {
    let _ = (user, order);
}

fn main() {}
