//! The worker's own limits, set at its start before any script is read: memory, no core file
//! when it dies, and (once the request is read) CPU time, so a worker whose parent is gone
//! cannot spin forever in a call that never returns.

/// Memory a PAC worker may use (heap, stacks, every private writable mapping).
pub const MEMORY_LIMIT_BYTES: u64 = 256 << 20;

/// Caps this process's memory at [`MEMORY_LIMIT_BYTES`] (`RLIMIT_DATA`, which since Linux 4.7
/// counts every private writable mapping: heap, `mmap`ed arenas and thread stacks; macOS
/// accepts it but does not enforce it on `mmap`) and turns off core files. An allocation past
/// the limit fails and the worker aborts.
#[cfg(unix)]
pub fn apply() -> std::io::Result<()> {
    use rlimit::Resource;
    Resource::CORE.set(0, 0)?;
    Resource::DATA.set(MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES)?;
    Ok(())
}

/// No memory limit on this platform yet: the parent's deadline still ends a runaway worker.
#[cfg(not(unix))]
pub fn apply() -> std::io::Result<()> {
    Ok(())
}

/// Caps the CPU time of this process at `seconds` (the kernel stops it then). The parent kills
/// the worker at its wall-clock deadline long before; this cap ends an orphaned one.
#[cfg(unix)]
pub fn cap_cpu(seconds: u64) -> std::io::Result<()> {
    rlimit::Resource::CPU.set(seconds, seconds)
}

/// No CPU cap on this platform: the parent's deadline ends a stuck worker.
#[cfg(not(unix))]
pub fn cap_cpu(_seconds: u64) -> std::io::Result<()> {
    Ok(())
}
