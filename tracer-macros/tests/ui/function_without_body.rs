use tracer::trace;

trait Store {
    #[trace]
    fn load(&self) -> u32;
}

fn main() {}
