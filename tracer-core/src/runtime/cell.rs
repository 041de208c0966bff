//! The cell over a thread's state: one flag for a `RefCell`'s borrow and
//! for the thread's start and exit, so that a borrow on the hot path is one
//! compare.

use std::cell::{Cell, UnsafeCell};
use std::mem::ManuallyDrop;

use super::state::LocalState;

thread_local! {
    /// No destructor of its own, so that an access is a plain
    /// thread-relative address: no "already destroyed?" check. Thread exit
    /// is handled by [`EXIT_HOOK`], registered on first use.
    static LOCAL: LocalCell = const {
        LocalCell {
            state: UnsafeCell::new(ManuallyDrop::new(LocalState::new())),
            access: Cell::new(Access::Unused),
        }
    };

    /// Hands this thread's records over when the thread exits.
    static EXIT_HOOK: ExitHook = const { ExitHook };
}

/// This thread's state, and whether it may be borrowed now: one flag for
/// a `RefCell`'s borrow and for the thread's start and exit, so that a
/// borrow on the hot path is one compare.
struct LocalCell {
    state: UnsafeCell<ManuallyDrop<LocalState>>,
    access: Cell<Access>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Free,
    Borrowed,
    /// Not used yet on this thread: the exit hook is not registered.
    Unused,
    /// The thread is exiting and the state was handed over and dropped.
    Exited,
}

/// Registered on a thread's first borrow of its state.
struct ExitHook;

impl Drop for ExitHook {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(|cell| {
            if cell.access.get() == Access::Free {
                // Marked first: what the hand-over runs (processors) finds
                // the state gone, as after any thread-local's destruction.
                cell.access.set(Access::Exited);
                // SAFETY: not borrowed (checked), and never again (marked).
                unsafe { ManuallyDrop::drop(&mut *cell.state.get()) };
            }
        });
    }
}

/// A borrow of this thread's state; released on drop. Not `Send` (it
/// holds a reference to a thread-local with a `Cell`).
pub(super) struct LocalRef(&'static LocalCell);

impl std::ops::Deref for LocalRef {
    type Target = LocalState;

    #[inline(always)]
    fn deref(&self) -> &LocalState {
        // SAFETY: the flag grants this guard the only borrow.
        unsafe { &*self.0.state.get() }
    }
}

impl std::ops::DerefMut for LocalRef {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut LocalState {
        // SAFETY: as in `deref`.
        unsafe { &mut *self.0.state.get() }
    }
}

impl Drop for LocalRef {
    #[inline(always)]
    fn drop(&mut self) {
        self.0.access.set(Access::Free);
    }
}

/// Runs `f` on this thread's state. `None` while the thread is being torn
/// down, or if called re-entrantly (from a processor or sampler).
#[inline(always)]
pub(super) fn with_local<R>(f: impl FnOnce(&mut LocalState) -> R) -> Option<R> {
    let mut local = local_mut()?;
    Some(f(&mut local))
}

/// This thread's state, borrowed. `None` while the thread is being torn
/// down, or if already borrowed (re-entrant use from a processor or
/// sampler).
///
/// Returned rather than passed to a closure so that the caller's code
/// stays straight-line: as a closure body it was sometimes compiled as a
/// separate function, costing the span hot path dozens of instructions.
#[inline(always)]
pub(super) fn local_mut() -> Option<LocalRef> {
    // SAFETY: a thread-local without a destructor lives as long as its
    // thread, and the reference does not leave it (`LocalRef` is not
    // `Send`).
    let cell: &'static LocalCell = LOCAL.with(|cell| unsafe { &*(cell as *const LocalCell) });
    if cell.access.get() != Access::Free {
        return first_or_refused(cell);
    }
    cell.access.set(Access::Borrowed);
    Some(LocalRef(cell))
}

/// The thread's first borrow registers the exit hook; a re-entrant one, or
/// one during thread exit, is refused.
#[cold]
#[inline(never)]
fn first_or_refused(cell: &'static LocalCell) -> Option<LocalRef> {
    if cell.access.get() != Access::Unused || EXIT_HOOK.try_with(|_| ()).is_err() {
        return None;
    }
    cell.access.set(Access::Borrowed);
    // SAFETY: borrowed just above; nothing else holds the state.
    unsafe { (&mut *cell.state.get()).ids.seed() };
    Some(LocalRef(cell))
}
