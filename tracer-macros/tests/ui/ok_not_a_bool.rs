use tracer::trace;

#[trace(ok = 1)]
fn checkout() -> Result<(), String> {
    Ok(())
}

fn main() {}
