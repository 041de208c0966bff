use tracer::trace;

struct Repo;

#[trace]
impl Repo {
    #[notrace(always)]
    fn load(&self) {}
}

fn main() {}
