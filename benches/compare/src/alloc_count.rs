//! Counts heap allocations made on server threads, to report allocations per request.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Counting;

static SERVER_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static ON_SERVER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as a server thread whose allocations count.
pub fn count_this_thread() {
    ON_SERVER_THREAD.with(|flag| flag.set(true));
}

pub fn server_allocations() -> u64 {
    SERVER_ALLOCATIONS.load(Ordering::Relaxed)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON_SERVER_THREAD.try_with(Cell::get).unwrap_or(false) {
            SERVER_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON_SERVER_THREAD.try_with(Cell::get).unwrap_or(false) {
            SERVER_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
