//! Callgrind client requests, so that instruction counts cover exactly the
//! measured repetition (every thread, export threads included) and not the
//! start-up: the TSC calibrations of tracer's clock and of fastrace's
//! `fastant` spin for a wall-clock period, so their instruction counts
//! vary.
//!
//! Outside valgrind the request is a no-op: the magic sequence rotates a
//! register by 128 bits in all and exchanges `rbx` with itself.

/// `VG_USERREQ_TOOL_BASE('C', 'T')`: callgrind's first request.
#[cfg(target_arch = "x86_64")]
const BASE: u64 = ((b'C' as u64) << 24) | ((b'T' as u64) << 16);

#[cfg(target_arch = "x86_64")]
fn request(code: u64) {
    let args: [u64; 6] = [code, 0, 0, 0, 0, 0];
    // SAFETY: valgrind's documented client-request sequence for amd64. It
    // reads the six words at `rax` and writes its answer in `rdx`; natively
    // every instruction leaves all state unchanged.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") 0u64 => _,
            inout("rdi") 0u64 => _,
            in("rax") args.as_ptr(),
            options(nostack, preserves_flags),
        );
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn request(_code: u64) {}

/// `CALLGRIND_DUMP_STATS`: writes every thread's costs since the previous
/// dump to `<out-file>.N` (N counts dumps from 1), and zeroes them.
///
/// A measured window is therefore opened with a dump too, not with
/// `CALLGRIND_ZERO_STATS`: that one zeroes only the calling thread, which
/// left an export thread's earlier work (start-up, the shape check, the
/// warm-up) counted in the window.
pub fn dump_stats() {
    #[cfg(target_arch = "x86_64")]
    request(BASE);
}
