//! Span batches: how finished records travel from a thread to the
//! processors, and how their buffers come back.
//!
//! A thread writes its span records into a buffer of its own. When it hands
//! them over (see the runtime), the buffer becomes a [`SpanBatch`], which
//! every processor receives. The batch carries what the producing thread
//! knows about its records, so that a processor need not look at each one,
//! and when the last processor drops it, its buffer goes back to a pool
//! shard of the producing thread, emptied, for that thread's next records.

mod event_lists;
mod pool;
mod span_batch;

pub(crate) use event_lists::{add_event, record_exception};
pub(crate) use pool::{
    InFlightAllowance, POOLED_CAPACITY, allow_in_flight, free_pool, recycled_buffer, trim_pool, wait_for_pool,
};
pub(crate) use span_batch::BatchSummary;
pub use span_batch::SpanBatch;
