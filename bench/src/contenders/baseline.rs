//! No tracing at all: the same shapes of calls, for the floor.

use std::hint::black_box;

use super::Contender;
use crate::shape::Sink;
use crate::{chains, Workload, CHILDREN};

/// The loop with no tracing.
pub struct Baseline;

fn nested(depth: usize) {
    if depth == 0 {
        return;
    }
    black_box(depth);
    nested(black_box(depth - 1));
}

impl Contender for Baseline {
    fn name(&self) -> &'static str {
        "baseline"
    }

    fn run(&self, workload: Workload, traces: usize) {
        for _ in 0..traces {
            match workload {
                Workload::Nested | Workload::Unsampled | Workload::Threads => nested(CHILDREN),
                Workload::Flat => {
                    for _ in 0..CHILDREN {
                        black_box(("str", 42i64, true));
                    }
                }
                Workload::Off | Workload::MacroSync => chains::plain_sync::f99(),
                Workload::MacroAsync => super::block_on(chains::plain_async::f99()),
            }
        }
    }

    fn flush(&self) {}

    fn sink(&self) -> Option<&Sink> {
        None
    }
}
