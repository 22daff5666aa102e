//! The worker's own limits, set at its start before any script is read: memory, no core file
//! when it dies, and (once the request is read) CPU time, so a worker whose parent is gone
//! cannot spin forever in a call that never returns.

/// Memory a PAC worker may use (heap, stacks, every private writable mapping).
pub const MEMORY_LIMIT_BYTES: u64 = 256 << 20;

/// The program's allocator: the system's, counting live bytes so that a PAC worker can cap
/// them on every platform (pe-doctor itself runs without a limit).
#[global_allocator]
static HEAP: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Caps this process's memory at [`MEMORY_LIMIT_BYTES`]: the allocator refuses to hold more
/// live heap than that, everywhere (Windows and macOS included), and on Unix `RLIMIT_DATA`
/// caps every private writable mapping as well (since Linux 4.7: heap, `mmap`ed arenas and
/// thread stacks; macOS does not enforce it on `mmap`, which the allocator cap covers). Core
/// files are turned off. An allocation past the limit fails and the worker aborts with "memory
/// allocation of N bytes failed", which the parent reports as out of memory.
pub fn apply() -> std::io::Result<()> {
    let limit = usize::try_from(MEMORY_LIMIT_BYTES).unwrap_or(usize::MAX);
    HEAP.set_limit(limit).map_err(|()| {
        std::io::Error::other(format!(
            "{} bytes are already allocated, more than the limit",
            HEAP.allocated()
        ))
    })?;
    #[cfg(unix)]
    {
        use rlimit::Resource;
        Resource::CORE.set(0, 0)?;
        Resource::DATA.set(MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES)?;
    }
    Ok(())
}

/// Caps the CPU time of this process at `seconds` (the kernel stops it then). The parent kills
/// the worker at its wall-clock deadline long before; this cap ends an orphaned one.
#[cfg(unix)]
pub fn cap_cpu(seconds: u64) -> std::io::Result<()> {
    rlimit::Resource::CPU.set(seconds, seconds)
}

/// Ends this process after `seconds` of wall-clock time (a watchdog thread: this platform has
/// no CPU-time limit a process can set on itself). The parent kills the worker at its deadline
/// long before; this ends an orphaned one whose parent is gone.
#[cfg(not(unix))]
pub fn cap_cpu(seconds: u64) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("pac-watchdog".into())
        .spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(seconds));
            eprintln!("pe-doctor pac-worker: time limit of {seconds} s reached");
            std::process::exit(70);
        })
        .map(drop)
}
