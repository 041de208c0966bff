use tracer::trace;

struct Repo;

// Every method's error is reported, not just the first.
#[trace]
impl Repo {
    #[trace(bogus = 1)]
    fn load(&self) {}

    #[trace(args(missing))]
    fn save(&self, id: u32) {
        let _ = id;
    }

    #[trace]
    const fn version() -> u32 {
        1
    }
}

fn main() {}
