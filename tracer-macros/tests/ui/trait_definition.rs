use tracer::trace;

#[trace]
trait Store {
    fn load(&self) -> u32;
}

fn main() {}
