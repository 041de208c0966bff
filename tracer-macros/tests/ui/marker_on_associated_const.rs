use tracer::trace;

struct Repo;

#[trace]
impl Repo {
    #[notrace]
    const LIMIT: u32 = 3;

    fn load(&self) -> u32 {
        Self::LIMIT
    }
}

fn main() {}
