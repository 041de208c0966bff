use tracer::trace;

// (The compiler reports the missing body too.)
#[trace]
pub fn load() -> u32;

fn main() {}
