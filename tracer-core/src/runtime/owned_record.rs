//! What an owned span's record needs beside it in the rare cases: the
//! provider it belongs to when that is not the installed one (a thread's
//! default), and whether the thread was panicking when it started (see
//! [`SpanState::RecordingFor`](super::owned::SpanState::RecordingFor)).
//!
//! Kept apart, in a box of the thread's pool, so that a `Span` stays two
//! words and a span under a default still costs no allocation.

use std::cell::RefCell;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};

use crate::model::SpanData;
use crate::provider::TracerProvider;

/// Emptied boxes a thread keeps: as many as it keeps record boxes (one
/// per open owned span of a deep async chain).
const KEPT_OWNED_RECORD_BOXES: usize = 128;

thread_local! {
    /// This thread's emptied boxes.
    #[allow(clippy::vec_box)]
    static EMPTIED: RefCell<Vec<Box<MaybeUninit<OwnedRecord>>>> = const { RefCell::new(Vec::new()) };
}

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
        let emptied = EMPTIED.try_with(|emptied| emptied.try_borrow_mut().ok()?.pop());
        let mut slot = emptied.ok().flatten().unwrap_or_else(Box::new_uninit);
        slot.write(owned);
        OwnedRecordBox {
            slot: ManuallyDrop::new(slot),
        }
    }

    /// The record and the rest, out of the box, which goes back to the
    /// pool.
    pub(super) fn into_inner(self) -> OwnedRecord {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the box and its contents are
        // each taken once; the box is left holding nothing to drop.
        let (owned, slot) = unsafe {
            let slot = ManuallyDrop::take(&mut this.slot);
            (slot.assume_init_read(), slot)
        };
        keep(slot);
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
        keep(slot);
    }
}

/// Keeps an emptied box for the next [`OwnedRecord`], if the pool has room
/// (else, or while the thread exits, it is freed).
fn keep(slot: Box<MaybeUninit<OwnedRecord>>) {
    let _ = EMPTIED.try_with(|emptied| {
        if let Ok(mut emptied) = emptied.try_borrow_mut() {
            if emptied.len() < KEPT_OWNED_RECORD_BOXES {
                emptied.push(slot);
            }
        }
    });
}
