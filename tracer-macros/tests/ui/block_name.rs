use tracer::trace;

struct Repo;

#[trace(name = "repo")]
impl Repo {
    fn load(&self) {}
}

fn main() {}
