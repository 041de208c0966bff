//! Two traced HTTP services (work in progress).
fn main() {}
