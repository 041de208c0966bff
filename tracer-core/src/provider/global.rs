//! The global provider: installed once per process.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::TracerProvider;
use crate::model::SpanLimits;

static PROVIDER: OnceLock<TracerProvider> = OnceLock::new();
/// The installed provider while it records, null otherwise: what every
/// span start checks, in one load.
static ACTIVE: AtomicPtr<TracerProvider> = AtomicPtr::new(std::ptr::null_mut());

/// The installed provider, while it records.
#[inline]
pub(crate) fn active() -> Option<&'static TracerProvider> {
    // SAFETY: the pointer is null or points into `PROVIDER`, which is set
    // once and never dropped; `Acquire` pairs with the release in `install`
    // so the provider is seen fully built.
    unsafe { ACTIVE.load(Ordering::Acquire).as_ref() }
}

/// The installed provider, also after shutdown.
pub(crate) fn get() -> Option<&'static TracerProvider> {
    PROVIDER.get()
}

/// The span limits in force.
pub(crate) fn limits() -> SpanLimits {
    PROVIDER.get().map_or_else(SpanLimits::default, |p| p.limits)
}

/// Makes `provider` the process's provider, recording from now on.
pub(crate) fn set_global(provider: TracerProvider) -> Result<&'static TracerProvider, InstallError> {
    PROVIDER.set(provider).map_err(|_| InstallError::AlreadyInstalled)?;
    let installed = PROVIDER.get().expect("set just above");
    ACTIVE.store(installed as *const TracerProvider as *mut _, Ordering::SeqCst);
    Ok(installed)
}

/// Stops recording: spans started from now on are not.
pub(super) fn deactivate() {
    ACTIVE.store(std::ptr::null_mut(), Ordering::SeqCst);
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
