use tracer::trace;

struct Repo;

#[trace]
impl Repo {
    #[notrace]
    #[notrace]
    fn load(&self) {}
}

fn main() {}
