//! Memory hygiene for a shared tablet: what a resident's session freed must not linger in the
//! process for the next resident's session to find. [`WipeOnFree`] is a global allocator that
//! zeroes every block as Rust frees it (the bindings library and the CLI install it), and
//! [`wipe_sqlite_memory`] has SQLCipher overwrite every block SQLite frees (decrypted pages,
//! bound text, search buffers). Not covered: memory that C++ libraries free themselves
//! (whisper.cpp's transcription buffers, openh264's frames).

use std::alloc::System;

/// The system allocator, zeroing each block before it is freed (and before a reallocation
/// moves it): 1Password's `zeroizing-alloc`, so the project keeps no `unsafe` of its own.
pub type WipeOnFree = zeroizing_alloc::ZeroAlloc<System>;

/// The allocator to install: `#[global_allocator] static A: WipeOnFree = WIPE_ON_FREE;`.
pub const WIPE_ON_FREE: WipeOnFree = zeroizing_alloc::ZeroAlloc(System);

/// Turns on SQLCipher's memory security for the whole process (it cannot be turned off):
/// every block SQLite frees is overwritten first. Costs some speed on every allocation.
pub(crate) fn wipe_sqlite_memory(conn: &rusqlite::Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch("PRAGMA cipher_memory_security = ON")
}

/// Bytes of stack [`scrub_stack`] overwrites below its caller.
const SCRUB_BYTES: usize = 64 * 1024;

/// Overwrites the stack below the caller's frame, where functions that handled keys and
/// content left their (dead) frames: moving a key leaves a copy that no destructor sees. Called
/// after a vault opens and whenever one closes. 64 KiB stays far inside the smallest thread stack
/// an app gives the bindings (512 KiB on iOS secondary threads).
#[inline(never)]
pub(crate) fn scrub_stack() {
    let mut block = [0u8; SCRUB_BYTES];
    zeroize::Zeroize::zeroize(&mut block[..]);
    std::hint::black_box(&block);
}
