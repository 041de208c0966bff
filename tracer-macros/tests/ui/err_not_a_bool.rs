use tracer::trace;

#[trace(err = "no")]
fn checkout() -> Result<(), String> {
    Ok(())
}

fn main() {}
