use tracer::trace;

struct Cart;

impl Cart {
    #[trace(args(self))]
    fn new() -> Cart {
        Cart
    }
}

fn main() {}
