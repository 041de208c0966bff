//! Ending an entered span, or taking it out of the thread's buffer.

use super::cell::{local_mut, with_local};
use super::enter::Entry;
use super::hand_over::{flush_due_holding_records, flush_if_due, hand_over, hand_over_batch};
use super::owned::{SpanState, fill_record_box};
use super::provider_scope::leave_default;
use super::shared_context::share;
use super::stack::{FrameKind, Scoped};
use super::state::LocalState;
use crate::model::SpanId;

/// Ends the span `entry` pushed. The common case, the entry's own local
/// frame still on top where it was pushed, takes the straight path: pop,
/// stamp the end time, and hand the buffer over if this was the outermost
/// span.
#[inline(never)]
pub(crate) fn end_entry(entry: &Entry) {
    let Some(span_id) = entry.span_id else { return };
    let panicked = !entry.panicking_at_start && std::thread::panicking();
    let Some(mut local) = local_mut() else { return };
    let depth = entry.depth as usize;
    let frames = &mut local.stack.frames;
    let top = match frames.last() {
        Some(frame) if frames.len() == depth + 1 && frame.span_id == span_id && frame.kind == FrameKind::Local => {
            frame.slot as usize
        }
        Some(frame) if frames.len() == depth + 1 && frame.span_id == span_id && frame.kind == FrameKind::Context => {
            // A sampled-out span (a root, typically) on top.
            let batch = local.pop_context_top();
            drop(local);
            return hand_over(batch);
        }
        _ => {
            let batch = local.end_anywhere(span_id, panicked);
            let leaves_default = entry.depth == Entry::LEAVES_DEFAULT && local.default_opened_by(span_id);
            drop(local);
            hand_over(batch);
            if leaves_default {
                leave_default();
            }
            return;
        }
    };
    // `Frame` is `Copy`: popping is shortening.
    frames.truncate(depth);
    // The flag is 0 while a local frame is on top: it changes only if the
    // frame below is an unsampled one.
    if let Some(below) = frames.last().filter(|f| f.unsampled) {
        let below = *below;
        local.stack.sync_unsampled(&below);
    }
    local.close_record(top, panicked);
    // `should_flush`, knowing the buffer holds the record just closed and
    // the stack `depth` frames.
    if flush_due_holding_records(depth, local.records.len() - local.open_records) {
        let batch = local.take_finished();
        drop(local);
        hand_over_batch(batch);
    }
}

/// Stops the span an entry pushed being current and gives its state back
/// as an owned span's: its open record, moved out of the buffer, or its
/// context when it was sampled out.
pub(crate) fn exit_entry(span_id: SpanId) -> SpanState {
    let (state, batch) = with_local(|local| (exit_in(local, span_id), flush_if_due(local)))
        .unwrap_or((SpanState::NonRecording(None), None));
    // Spans that ended under it go out once nothing is current.
    hand_over(batch);
    state
}

/// Removes `span_id`'s frame and gives back what an owned span holds of it.
fn exit_in(local: &mut LocalState, span_id: SpanId) -> SpanState {
    let Some(position) = local.stack.position(span_id) else {
        return SpanState::NonRecording(None);
    };
    match local.stack.remove(position) {
        (frame, _) if frame.kind == FrameKind::Local => {
            let index = frame.slot as usize;
            let last = local.records.len() - 1;
            let data = local.records.swap_remove(index);
            local.open_records -= 1;
            if last != index {
                // The last record moved into its place.
                local.stack.move_record(last, index);
            }
            // Its owner is the provider whose buffer it was in.
            let owner = local.provider.clone();
            SpanState::recording(fill_record_box(local.record_boxes.pop(), data), owner)
        }
        (_, Some(Scoped { context, state })) if state.is_null() => SpanState::NonRecording(Some(share(context))),
        _ => SpanState::NonRecording(None),
    }
}
