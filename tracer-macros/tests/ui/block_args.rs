use tracer::trace;

struct Repo;

#[trace(kind = Client, args(id))]
impl Repo {
    fn load(&self, id: u32) {
        let _ = id;
    }
}

fn main() {}
