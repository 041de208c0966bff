//! `unsafe fn` and `extern "C" fn`: the body keeps its unsafe context.
use crate::common;

use common::{one, traced};
use tracer::{Status, trace};

/// # Safety
/// `ptr` must be valid for reads.
#[trace]
unsafe fn read(ptr: *const u32) -> u32 {
    unsafe { *ptr }
}

/// # Safety
/// `ptr` must be valid for reads.
#[trace]
unsafe fn read_checked(ptr: *const u32) -> Result<u32, String> {
    unsafe {
        if ptr.is_null() {
            return Err("null".into());
        }
        Ok(*ptr)
    }
}

/// # Safety
/// `ptr` must be valid for reads.
#[trace]
async unsafe fn read_async(ptr: *const u32) -> u32 {
    unsafe { *ptr }
}

#[trace]
extern "C" fn callback(x: u32) -> u32 {
    x * 2
}

#[test]
fn unsafe_functions() {
    let value = 5u32;
    let (out, spans) = traced(|| unsafe {
        (
            read(&value),
            read_checked(std::ptr::null()),
            futures_executor::block_on(read_async(&value)),
            callback(3),
        )
    });
    assert_eq!(out, (5, Err("null".into()), 5, 6));
    one(&spans, "read");
    assert_eq!(one(&spans, "read_checked").status, Status::error("null"));
    one(&spans, "read_async");
    one(&spans, "callback");
}
