use tracer::trace;

// Only plain identifier parameters can be recorded.
#[trace(args(x))]
fn distance((x, y): (f64, f64)) -> f64 {
    (x * x + y * y).sqrt()
}

fn main() {}
