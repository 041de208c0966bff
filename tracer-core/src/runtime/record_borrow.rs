//! The debug-build check of the borrow rule (see the module docs of
//! [`runtime`](super)): while a record is borrowed, no other borrow of a
//! record starts on the same thread.

#[cfg(debug_assertions)]
use std::cell::Cell;

#[cfg(debug_assertions)]
thread_local! {
    static BORROWED: Cell<bool> = const { Cell::new(false) };
}

/// Marks a record borrowed on this thread until dropped. In release builds
/// it is nothing.
pub(crate) struct RecordBorrow(());

impl RecordBorrow {
    /// Starts a borrow; panics in debug builds if one is already under way
    /// on this thread (user code ran inside a record's borrow and reached a
    /// record again).
    #[inline(always)]
    pub(crate) fn start() -> RecordBorrow {
        #[cfg(debug_assertions)]
        {
            let nested = BORROWED.try_with(|b| b.replace(true)).unwrap_or(false);
            assert!(
                !nested,
                "a span record was borrowed while another borrow of one was under way"
            );
        }
        RecordBorrow(())
    }
}

#[cfg(debug_assertions)]
impl Drop for RecordBorrow {
    fn drop(&mut self) {
        let _ = BORROWED.try_with(|b| b.set(false));
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    #[test]
    fn borrows_one_after_another_are_fine() {
        drop(RecordBorrow::start());
        drop(RecordBorrow::start());
    }

    #[test]
    #[should_panic(expected = "borrowed while another borrow")]
    fn a_borrow_inside_a_borrow_is_caught() {
        let _outer = RecordBorrow::start();
        let _inner = RecordBorrow::start();
    }
}
