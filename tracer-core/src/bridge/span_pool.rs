//! Reuse of the bridge's span allocations: each `tracing` span's tracer
//! span lives in an `Arc` (its frames on thread stacks hold counts), and a
//! finished one that nothing else holds is kept for the next span on the
//! thread that closed it, so that a span costs no allocation of ours.

use std::cell::RefCell;
use std::sync::Arc;

use crate::runtime::SharedSpan;

/// Finished spans a thread keeps for reuse: as many as the record boxes it
/// keeps for owned spans, so that a trace as deep as that allocates no
/// span of ours.
const KEPT: usize = 128;

thread_local! {
    static FREE: RefCell<Vec<Arc<SharedSpan>>> = const { RefCell::new(Vec::new()) };
}

/// `span` in an `Arc`: a kept one when this thread has one.
pub(super) fn shared(span: SharedSpan) -> Arc<SharedSpan> {
    let kept = FREE.try_with(|free| free.borrow_mut().pop()).ok().flatten();
    match kept {
        Some(mut kept) => match Arc::get_mut(&mut kept) {
            Some(slot) => {
                *slot = span;
                kept
            }
            // Only unique ones are kept (see `recycle`).
            None => Arc::new(span),
        },
        None => Arc::new(span),
    }
}

/// Keeps a finished span's allocation if nothing else holds it (a frame
/// left on a stack by a leaked guard would).
pub(super) fn recycle(mut span: Arc<SharedSpan>) {
    if Arc::get_mut(&mut span).is_none() {
        return;
    }
    let _ = FREE.try_with(|free| {
        let mut free = free.borrow_mut();
        if free.len() < KEPT {
            free.push(span);
        }
    });
}
