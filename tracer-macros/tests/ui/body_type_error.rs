use tracer::trace;

#[derive(Debug)]
struct LoadError;

// Type errors in the body point at the user's code, not at the macro.
#[trace]
fn count() -> u32 {
    "three"
}

#[trace]
async fn load() -> Result<u32, LoadError> {
    let n: u32 = "3".parse()?;
    Ok(n)
}

fn main() {}
