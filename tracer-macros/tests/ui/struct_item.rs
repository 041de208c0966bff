use tracer::trace;

#[trace]
struct Checkout {
    id: u64,
}

fn main() {}
