use tracer::trace;

struct Repo;

#[trace]
impl Repo {
    #[trace(kind = Client)]
    #[tracer::trace(name = "load")]
    fn load(&self) {}
}

fn main() {}
