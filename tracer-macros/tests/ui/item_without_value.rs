use tracer::trace;

// syn keeps an item it does not model as tokens; the error is at its
// keyword. (The compiler reports the missing value too.)
#[trace]
pub const LIMIT: u32;

fn main() {}
