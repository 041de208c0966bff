//! No tracing at all: the same shapes of calls, for the floor.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Contender;
use crate::shape::Sink;
use crate::{CHILDREN, Workload, chains};

/// The loop with no tracing.
pub struct Baseline;

/// Rounds of register-only work each nested level does (`bench child
/// threads --only baseline --work N`): 0 in the table. With work, the loop
/// takes about as long per level as a tracer does per span but shares
/// nothing, so its `threads` scaling is what the machine allows such code.
pub static WORK: AtomicU64 = AtomicU64::new(0);

fn nested(depth: usize) {
    if depth == 0 {
        return;
    }
    black_box(depth);
    nested(black_box(depth - 1));
}

/// [`nested`] with `work` rounds of a multiply chain per level: no memory,
/// nothing shared.
fn nested_working(depth: usize, work: u64) {
    if depth == 0 {
        return;
    }
    let mut x = black_box(depth as u64);
    for _ in 0..work {
        x = x.wrapping_mul(0x5851_f42d_4c95_7f2d).wrapping_add(1);
    }
    black_box(x);
    nested_working(black_box(depth - 1), work);
}

impl Contender for Baseline {
    fn name(&self) -> &'static str {
        "baseline"
    }

    fn run(&self, workload: Workload, traces: usize) {
        for _ in 0..traces {
            match workload {
                Workload::Nested | Workload::Unsampled | Workload::Threads | Workload::Deep => {
                    match WORK.load(Ordering::Relaxed) {
                        0 => nested(workload.children()),
                        work => nested_working(workload.children(), black_box(work)),
                    }
                }
                Workload::Flat => {
                    for _ in 0..CHILDREN {
                        black_box(("str", 42i64, true));
                    }
                }
                Workload::Off | Workload::MacroSync => chains::plain_sync::f99(),
                Workload::MacroAsync | Workload::Async100 => super::run_async(workload, chains::plain_async::f99()),
            }
        }
    }

    fn flush(&self) {}

    fn sink(&self) -> Option<&Sink> {
        None
    }
}
