//! Installing, flushing and shutting down the global provider.
//!
//! These reach the calling thread's buffered spans as well as the
//! provider's processors, so they sit above the runtime, apart from the
//! provider itself.

use std::time::Duration;

use crate::diag;
use crate::export::ConsoleExporter;
use crate::processor::FlushError;
use crate::provider::{self, DEFAULT_FLUSH_TIMEOUT, InstallError, ProviderBuilder, TracerProvider};
use crate::runtime;

impl ProviderBuilder {
    /// Installs the provider for the whole process. Fails if one is already
    /// installed (the new one is then dropped, and its processors shut down).
    pub fn install(self) -> Result<ProviderGuard, InstallError> {
        provider::set_global(self.build())?;
        Ok(ProviderGuard { armed: true })
    }
}

impl TracerProvider {
    /// Exports everything finished so far (this thread's buffered spans
    /// included), waiting at most `timeout` per processor.
    pub fn force_flush(&self, timeout: Duration) -> Result<(), FlushError> {
        runtime::flush_local();
        self.flush_processors(timeout)
    }

    /// Stops recording, flushes, and shuts every processor down, waiting at
    /// most `timeout` per processor. Spans started afterwards are not
    /// recorded.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        runtime::flush_local();
        self.shutdown_processors(timeout)
    }
}

/// Flushes and shuts the provider down when dropped (at the end of `main`).
#[must_use = "dropping the guard shuts tracing down at once"]
#[derive(Debug)]
pub struct ProviderGuard {
    armed: bool,
}

impl ProviderGuard {
    /// A guard that does nothing when dropped (nothing was installed).
    pub(crate) fn inert() -> ProviderGuard {
        ProviderGuard { armed: false }
    }

    /// The provider.
    pub fn provider(&self) -> Option<&'static TracerProvider> {
        TracerProvider::global()
    }

    /// Flushes and shuts down now, reporting what was not delivered.
    pub fn shutdown(mut self) -> Result<(), FlushError> {
        self.armed = false;
        shutdown()
    }
}

impl Drop for ProviderGuard {
    fn drop(&mut self) {
        if self.armed {
            if let Err(e) = shutdown() {
                diag::warn(&format!("shutdown: {e}"));
            }
        }
    }
}

/// Installs a provider that prints each trace as a tree on stdout
/// ([`ConsoleExporter`]). Returns a guard that flushes at the end of `main`.
/// If a provider is already installed, says so on stderr and returns a
/// guard that does nothing.
///
/// ```no_run
/// let _tracer = tracer_core::init();
/// ```
pub fn init() -> ProviderGuard {
    match TracerProvider::builder()
        .with_simple_exporter(ConsoleExporter::new())
        .install()
    {
        Ok(guard) => guard,
        Err(e) => {
            diag::warn(&format!("init: {e}"));
            ProviderGuard { armed: false }
        }
    }
}

/// Exports everything finished so far. See [`TracerProvider::force_flush`].
pub fn force_flush() -> Result<(), FlushError> {
    TracerProvider::global().map_or(Ok(()), |p| p.force_flush(DEFAULT_FLUSH_TIMEOUT))
}

/// Flushes and stops tracing. See [`TracerProvider::shutdown`].
pub fn shutdown() -> Result<(), FlushError> {
    TracerProvider::global().map_or(Ok(()), |p| p.shutdown(DEFAULT_FLUSH_TIMEOUT))
}
