//! The global provider: installed once per process.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use super::{ProviderInner, TracerProvider};
use crate::model::SpanLimits;

static PROVIDER: OnceLock<TracerProvider> = OnceLock::new();

/// What every span start reads, in one load: the installed provider's
/// address while it records (0 otherwise), with [`SCOPES_USED`] set once a
/// provider has been made a default anywhere in the process. Without that
/// bit the address is the answer; with it, the thread's default is looked
/// at first (see [`Active`]).
static ACTIVE: AtomicPtr<ProviderInner> = AtomicPtr::new(std::ptr::null_mut());

/// Whether the installed provider records: what [`Active::Scoped`] falls
/// back to, as the address in [`ACTIVE`] is then not read.
static GLOBAL_RECORDING: AtomicBool = AtomicBool::new(false);

/// The bit of [`ACTIVE`] that sends span starts to the thread's default
/// provider first: the sign bit, so that the installed provider's path is
/// one signed test (`> 0`). Set once and kept: a process that never scopes
/// a provider pays nothing for the feature, one that does pays a look at
/// its thread's default. An address that has the bit itself (32-bit
/// targets) only sends its spans the longer way.
const SCOPES_USED: usize = 1 << (usize::BITS - 1);

/// Which provider a span starting now reports to, as far as the global
/// state tells.
#[derive(Clone, Copy)]
pub(crate) enum Active {
    /// None: spans are not recorded.
    Off,
    /// The installed provider; no provider has been scoped in the process.
    Global(&'static ProviderInner),
    /// The thread's default provider if it has one, else the installed one
    /// ([`global_recording`]).
    Scoped,
}

/// Which provider a span starting now reports to. See [`Active`].
#[inline(always)]
pub(crate) fn active() -> Active {
    let pointer = ACTIVE.load(Ordering::Acquire);
    let word = pointer.addr();
    if word as isize > 0 {
        // SAFETY: without the bit, a non-null word is the installed
        // provider's `ProviderInner`, which lives in `PROVIDER` (set once,
        // never dropped); `Acquire` pairs with the `SeqCst` store in
        // `set_global`, so it is seen fully built.
        return Active::Global(unsafe { &*pointer });
    }
    if word == 0 {
        return Active::Off;
    }
    Active::Scoped
}

/// The installed provider while it records.
#[cold]
pub(crate) fn global_recording() -> Option<&'static ProviderInner> {
    if !GLOBAL_RECORDING.load(Ordering::Acquire) {
        return None;
    }
    PROVIDER.get().map(|provider| &*provider.inner)
}

/// Whether a provider has been made a default anywhere in the process:
/// until then, every span is the installed provider's.
#[inline(always)]
pub(crate) fn scopes_used() -> bool {
    ACTIVE.load(Ordering::Relaxed).addr() & SCOPES_USED != 0
}

/// Changes [`ACTIVE`] with `f`, whatever other threads change meanwhile.
fn update_active(f: impl Fn(*mut ProviderInner) -> *mut ProviderInner) {
    let mut current = ACTIVE.load(Ordering::Relaxed);
    while let Err(actual) = ACTIVE.compare_exchange_weak(current, f(current), Ordering::SeqCst, Ordering::Relaxed) {
        current = actual;
    }
}

/// From now on, span starts look at their thread's default provider.
pub(crate) fn mark_scopes_used() {
    if !scopes_used() {
        update_active(|active| active.map_addr(|address| address | SCOPES_USED));
    }
}

/// The installed provider, also after shutdown.
pub(crate) fn get() -> Option<&'static TracerProvider> {
    PROVIDER.get()
}

/// The installed provider's span limits (the defaults without one).
pub(crate) fn limits() -> SpanLimits {
    PROVIDER.get().map_or_else(SpanLimits::default, |p| p.inner.limits)
}

/// Makes `provider` the process's provider, recording from now on.
pub(crate) fn set_global(provider: TracerProvider) -> Result<&'static TracerProvider, InstallError> {
    PROVIDER.set(provider).map_err(|_| InstallError::AlreadyInstalled)?;
    let installed = PROVIDER.get().expect("set just above");
    installed.inner.global.store(true, Ordering::Relaxed);
    GLOBAL_RECORDING.store(true, Ordering::SeqCst);
    let pointer = std::sync::Arc::as_ptr(&installed.inner).cast_mut();
    // Keeps the scopes bit, which another thread may be setting.
    update_active(|active| pointer.map_addr(|address| address | (active.addr() & SCOPES_USED)));
    Ok(installed)
}

/// Stops recording through the installed provider: spans started from now
/// on are not, unless a thread's default provider takes them.
pub(super) fn deactivate() {
    GLOBAL_RECORDING.store(false, Ordering::SeqCst);
    // An address with the sign bit (see `SCOPES_USED`) keeps it: spans then
    // go the longer way, which reads `GLOBAL_RECORDING`.
    update_active(|active| active.map_addr(|address| address & SCOPES_USED));
}

/// Why a provider could not be installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallError {
    /// A provider is already installed; a process has one.
    AlreadyInstalled,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tracer provider is already installed")
    }
}

impl std::error::Error for InstallError {}
