use tracer::trace;

#[trace]
const fn answer() -> u32 {
    42
}

fn main() {}
