use tracer::trace;

struct Repo;

#[trace]
impl Repo {
    #[notrace]
    #[trace(name = "load")]
    fn load(&self) {}
}

fn main() {}
