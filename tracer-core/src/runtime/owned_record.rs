//! What an owned span's record needs beside it in the rare cases: the
//! provider it belongs to when that is not the installed one (a thread's
//! default), and whether the thread was panicking when it started (see
//! [`SpanState::RecordingFor`](super::owned::SpanState::RecordingFor)).
//!
//! Kept apart, in a box of the thread's pool, so that a `Span` stays two
//! words and a span under a default still costs no allocation.

use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};

use super::cell::with_local;
use super::state::LocalState;
use crate::model::SpanData;
use crate::provider::TracerProvider;

/// Emptied boxes a thread keeps: as many as record boxes.
const KEPT_OWNED_RECORD_BOXES: usize = super::state::KEPT_RECORD_BOXES;

/// An owned span's record, with its provider and its start in a panic.
pub(crate) struct OwnedRecord {
    pub(crate) record: Box<SpanData>,
    /// `None`: the installed provider.
    pub(crate) owner: Option<TracerProvider>,
    /// The thread was panicking when the span started: only a panic that
    /// begins later marks it.
    pub(crate) panicking_at_start: bool,
}

/// An [`OwnedRecord`] in a box of the thread's pool.
pub(crate) struct OwnedRecordBox {
    /// Holds an initialised `OwnedRecord` while `self` lives.
    slot: ManuallyDrop<Box<MaybeUninit<OwnedRecord>>>,
}

impl OwnedRecordBox {
    /// `owned`, boxed (in a box from this thread's pool when there is one).
    pub(super) fn new(owned: OwnedRecord) -> OwnedRecordBox {
        let mut slot = with_local(|local| local.owned_record_boxes.pop())
            .flatten()
            .unwrap_or_else(Box::new_uninit);
        slot.write(owned);
        OwnedRecordBox {
            slot: ManuallyDrop::new(slot),
        }
    }

    /// The record and the rest, out of the box, which goes back to the pool
    /// of `local` (the caller's borrow of the thread's state), or is freed
    /// when there is none.
    pub(super) fn into_inner(self, local: Option<&mut LocalState>) -> OwnedRecord {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the box and its contents are
        // each taken once; the box is left holding nothing to drop.
        let (owned, slot) = unsafe {
            let slot = ManuallyDrop::take(&mut this.slot);
            (slot.assume_init_read(), slot)
        };
        if let Some(local) = local {
            local.keep_owned_record_box(slot);
        }
        owned
    }
}

impl Deref for OwnedRecordBox {
    type Target = OwnedRecord;

    fn deref(&self) -> &OwnedRecord {
        // SAFETY: initialised while `self` lives.
        unsafe { self.slot.assume_init_ref() }
    }
}

impl DerefMut for OwnedRecordBox {
    fn deref_mut(&mut self) -> &mut OwnedRecord {
        // SAFETY: initialised while `self` lives.
        unsafe { self.slot.assume_init_mut() }
    }
}

impl Drop for OwnedRecordBox {
    fn drop(&mut self) {
        // SAFETY: the contents are initialised and dropped once, then the
        // box is taken once (it holds nothing else to drop).
        let slot = unsafe {
            self.slot.assume_init_drop();
            ManuallyDrop::take(&mut self.slot)
        };
        let mut slot = Some(slot);
        let _ = with_local(|local| {
            if let Some(slot) = slot.take() {
                local.keep_owned_record_box(slot);
            }
        });
    }
}

impl LocalState {
    /// Keeps an emptied box for the next [`OwnedRecord`], if the pool has
    /// room.
    fn keep_owned_record_box(&mut self, slot: Box<MaybeUninit<OwnedRecord>>) {
        if self.owned_record_boxes.len() < KEPT_OWNED_RECORD_BOXES {
            self.owned_record_boxes.push(slot);
        }
    }
}
