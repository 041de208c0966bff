use tracer::trace;

struct Repo;

#[trace]
impl Repo {
    #[trace = "load"]
    fn load(&self) {}
}

fn main() {}
