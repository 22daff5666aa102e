//! The files a user names: inputs are read only when they are regular files of bounded size
//! (a FIFO or device is refused without blocking on it), and the report file is checked before
//! the diagnosis and written without ever following a link.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;

/// A file pe-doctor reads, and so the most it reads of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// `--config`: 1 MiB.
    Config,
    /// `--expected`: 16 MiB.
    Expected,
    /// `--ca-file`: 1 MiB.
    CaFile,
    /// `--pac` or `pac FILE`: 1 MiB, Chromium's limit.
    Pac,
    /// `--hosts-file` and the OS hosts file: 4 MiB.
    Hosts,
    /// `pac -f`, a list of URLs: 16 MiB.
    UrlList,
}

impl Input {
    /// The size limit in bytes.
    pub fn limit(self) -> u64 {
        match self {
            Input::Config | Input::CaFile | Input::Pac => MIB,
            Input::Hosts => 4 * MIB,
            Input::Expected | Input::UrlList => 16 * MIB,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Input::Config => "a settings file",
            Input::Expected => "an expected-state file",
            Input::CaFile => "a CA file",
            Input::Pac => "a PAC file",
            Input::Hosts => "a hosts file",
            Input::UrlList => "a URL list",
        }
    }
}

/// Reads a whole input file. Errors say what is wrong without the file name (callers add it):
/// `is a FIFO (named pipe), not a regular file`, `is 2.0 MiB; a PAC file may have 1 MiB`.
pub fn read(path: &Path, input: Input) -> io::Result<Vec<u8>> {
    let file = open_regular(path, input)?;
    let mut bytes = Vec::new();
    // The file may grow after the size check: read one byte past the limit to notice.
    file.take(input.limit() + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > input.limit() {
        return Err(too_large(bytes.len() as u64, input));
    }
    Ok(bytes)
}

/// Reads a whole input file as UTF-8 text (a BOM is kept for the parser to skip).
pub fn read_text(path: &Path, input: Input) -> io::Result<String> {
    String::from_utf8(read(path, input)?).map_err(|e| {
        io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads and decodes a PAC file as a browser does (BOM, else Latin-1); errors name the file.
pub fn read_pac(path: &Path) -> Result<String, pac::PacError> {
    let load_err = |reason: String| pac::PacError::Load {
        location: path.display().to_string(),
        reason,
    };
    let bytes = read(path, Input::Pac).map_err(|e| load_err(e.to_string()))?;
    pac::load::decode_pac_bytes(&bytes, None).map_err(|e| load_err(e.to_string()))
}

/// Checks that an input file can be read (regular, within its limit) without reading it, so a
/// bad path is a usage error before any probing.
pub fn check(path: &Path, input: Input) -> io::Result<()> {
    open_regular(path, input).map(drop)
}

fn open_regular(path: &Path, input: Input) -> io::Result<File> {
    // Refuse by the path first (on Windows a directory cannot even be opened), then by what
    // was opened: the path may have been swapped in between.
    refuse_irregular(&std::fs::metadata(path)?.file_type())?;
    let mut options = OpenOptions::new();
    options.read(true);
    // A FIFO opened for reading blocks until a writer comes; non-blocking, it opens at once
    // and is then refused by its type.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NONBLOCK.bits() as i32,
    );
    let file = options.open(path)?;
    let meta = file.metadata()?;
    refuse_irregular(&meta.file_type())?;
    if meta.len() > input.limit() {
        return Err(too_large(meta.len(), input));
    }
    Ok(file)
}

fn refuse_irregular(kind: &std::fs::FileType) -> io::Result<()> {
    if kind.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        ErrorKind::InvalidInput,
        format!("is {}, not a regular file", describe(kind)),
    ))
}

/// `a directory`, `a FIFO (named pipe)`, ...
fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

fn too_large(size: u64, input: Input) -> io::Error {
    io::Error::new(
        ErrorKind::FileTooLarge,
        format!(
            "is {size} bytes; {} may have {} MiB at most",
            input.what(),
            input.limit() / MIB
        ),
    )
}

/// Writes a whole file as [`Output`] does (checked, atomic, never through a link), for a path
/// decided only after the diagnosis.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    Output::open(path)?.write(bytes)
}

/// Where the report goes: decided and opened before the diagnosis, written after it.
#[derive(Debug)]
pub enum Output {
    /// A new or replaced regular file: an exclusively created temporary file in the same
    /// folder, renamed over the path at the end, so a reader never sees half a report and a
    /// failed run leaves the old one in place.
    File {
        /// The path given.
        path: PathBuf,
        /// The temporary file.
        temp: tempfile::NamedTempFile,
    },
    /// A terminal, `/dev/stdout`, a FIFO or another character device: written in place.
    Stream {
        /// The path given.
        path: PathBuf,
        /// The open device.
        file: File,
    },
}

impl Output {
    /// Checks `path` and prepares the write. A directory is refused; so is a symbolic link to
    /// anything but a device or FIFO: following it would write where the user did not name
    /// (a link planted in a shared folder), and replacing it would silently destroy a link the
    /// user made. `/dev/stdout` is a link to a terminal or pipe, so it works.
    pub fn open(path: &Path) -> io::Result<Output> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(path) {
                Ok(target) if is_stream(&target.file_type()) => Self::stream(path),
                _ => Err(io::Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "is a symbolic link{}; pe-doctor does not write through links: name \
                         the file itself or remove the link",
                        std::fs::read_link(path)
                            .map(|t| format!(" to {}", t.display()))
                            .unwrap_or_default()
                    ),
                )),
            },
            Ok(meta) if is_stream(&meta.file_type()) => Self::stream(path),
            Ok(meta) if meta.is_file() => Self::replace(path, Some(meta.permissions())),
            Ok(meta) => Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "is {}; give a file name for the report",
                    describe(&meta.file_type())
                ),
            )),
            Err(e) if e.kind() == ErrorKind::NotFound => Self::replace(path, None),
            Err(e) => Err(e),
        }
    }

    /// The path given.
    pub fn path(&self) -> &Path {
        match self {
            Output::File { path, .. } | Output::Stream { path, .. } => path,
        }
    }

    /// Writes the report: in place for a stream, by rename for a file.
    pub fn write(self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Output::Stream { mut file, .. } => file.write_all(bytes).and_then(|()| file.flush()),
            Output::File { path, mut temp } => {
                temp.write_all(bytes)?;
                temp.as_file().sync_all()?;
                temp.persist(&path).map(drop).map_err(|e| e.error)
            }
        }
    }

    fn replace(path: &Path, keep: Option<std::fs::Permissions>) -> io::Result<Output> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".pe-doctor-").suffix(".tmp");
        // A new report gets the permissions `>` would give it (0666 less the umask); a
        // replaced one keeps its own.
        #[cfg(unix)]
        let default = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666);
        #[cfg(unix)]
        builder.permissions(keep.unwrap_or(default));
        #[cfg(not(unix))]
        let _ = keep;
        let temp = builder.tempfile_in(dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create a file in {}: {e}", dir.display()),
            )
        })?;
        Ok(Output::File {
            path: path.to_path_buf(),
            temp,
        })
    }

    fn stream(path: &Path) -> io::Result<Output> {
        let mut options = OpenOptions::new();
        options.write(true);
        // A FIFO opened for writing blocks until a reader comes: open it non-blocking (no
        // reader is then an error at once), then write blocking.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            &mut options,
            rustix::fs::OFlags::NONBLOCK.bits() as i32,
        );
        let file = options.open(path).map_err(explain_open_error)?;
        if !is_stream(&file.metadata()?.file_type()) {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                "changed while it was being opened",
            ));
        }
        #[cfg(unix)]
        rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::empty())?;
        Ok(Output::Stream {
            path: path.to_path_buf(),
            file,
        })
    }
}

/// A character device or FIFO: written in place, never replaced.
fn is_stream(kind: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        kind.is_char_device() || kind.is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
    use std::time::{Duration, Instant};

    fn mkfifo(path: &Path) {
        // nix's mkfifo, not rustix's mknodat: macOS has no mknodat.
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    }

    #[test]
    fn inputs_must_be_regular_files_and_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.toml");
        mkfifo(&fifo);
        let started = Instant::now();
        for (path, kind) in [
            (fifo.as_path(), "a FIFO (named pipe)"),
            (dir.path(), "a directory"),
            (Path::new("/dev/zero"), "a character device"),
        ] {
            let err = read(path, Input::Config).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{path:?}");
            assert_eq!(err.to_string(), format!("is {kind}, not a regular file"));
            assert!(check(path, Input::Pac).is_err());
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        // A link to a regular file is read like the file.
        let real = dir.path().join("real.toml");
        std::fs::write(&real, "region = \"eastus2\"").unwrap();
        let link = dir.path().join("link.toml");
        symlink(&real, &link).unwrap();
        assert_eq!(
            read_text(&link, Input::Config).unwrap(),
            "region = \"eastus2\""
        );
    }

    #[test]
    fn sizes_are_capped_per_kind() {
        let dir = tempfile::tempdir().unwrap();
        for (input, mib) in [
            (Input::Pac, 1),
            (Input::Config, 1),
            (Input::CaFile, 1),
            (Input::Hosts, 4),
            (Input::Expected, 16),
        ] {
            let path = dir.path().join("f");
            let file = File::create(&path).unwrap();
            file.set_len(mib * MIB).unwrap();
            assert_eq!(read(&path, input).unwrap().len() as u64, mib * MIB);
            file.set_len(mib * MIB + 1).unwrap();
            let err = read(&path, input).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::FileTooLarge);
            assert!(
                err.to_string()
                    .starts_with(&format!("is {} bytes; ", mib * MIB + 1)),
                "{err}"
            );
            assert!(err.to_string().ends_with(&format!("{mib} MiB at most")));
        }
    }

    #[test]
    fn text_errors_give_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, b"{\"a\": \"\xff\"}").unwrap();
        let err = read_text(&path, Input::Expected).unwrap_err();
        assert_eq!(err.to_string(), "not UTF-8 text (invalid byte at offset 7)");
    }

    #[test]
    fn pac_files_are_decoded_and_refused_like_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proxy.pac");
        std::fs::write(&path, b"\xEF\xBB\xBFvar a='\xC3\xA9';").unwrap();
        assert_eq!(read_pac(&path).unwrap(), "var a='é';");
        let fifo = dir.path().join("fifo.pac");
        mkfifo(&fifo);
        let err = read_pac(&fifo).unwrap_err().to_string();
        assert!(err.contains("fifo.pac") && err.contains("FIFO"), "{err}");
    }

    #[test]
    fn output_replaces_a_file_atomically_keeping_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let out = Output::open(&path).unwrap();
        assert!(matches!(out, Output::File { .. }));
        out.write(b"one").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let out = Output::open(&path).unwrap();
        // Until the write, the old report is intact and the temporary file is beside it.
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        out.write(b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A run that ends before writing leaves no temporary file.
        drop(Output::open(&path).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(Output::open(&dir.path().join("no/such/dir/r.json")).is_err());
    }

    #[test]
    fn output_never_writes_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        for target in [victim.clone(), dir.path().join("missing")] {
            let link = dir.path().join("report.html");
            let _ = std::fs::remove_file(&link);
            symlink(&target, &link).unwrap();
            let err = Output::open(&link).unwrap_err();
            assert!(
                err.to_string().starts_with("is a symbolic link to "),
                "{err}"
            );
            assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!dir.path().join("missing").exists());
    }

    #[test]
    fn output_refuses_a_directory_and_writes_devices_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let err = Output::open(dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is a directory; give a file name for the report"
        );
        // /dev/null directly and through a link (as /dev/stdout is one).
        let link = dir.path().join("null");
        symlink("/dev/null", &link).unwrap();
        for path in [Path::new("/dev/null"), link.as_path()] {
            let out = Output::open(path).unwrap();
            assert!(matches!(out, Output::Stream { .. }));
            out.write(b"report").unwrap();
        }
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }

    #[test]
    fn output_fifo_needs_a_reader_and_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("report.fifo");
        mkfifo(&fifo);
        let started = Instant::now();
        let err = Output::open(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "is a FIFO that no program is reading");
        assert!(started.elapsed() < Duration::from_secs(2));
        let mut options = OpenOptions::new();
        options.read(true);
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            &mut options,
            rustix::fs::OFlags::NONBLOCK.bits() as i32,
        );
        let reader = options.open(&fifo).unwrap();
        rustix::fs::fcntl_setfl(&reader, rustix::fs::OFlags::empty()).unwrap();
        let out = Output::open(&fifo).unwrap();
        // More than a pipe buffer: the write blocks until the reader has read.
        let big = vec![b'x'; 256 * 1024];
        let writer = std::thread::spawn(move || out.write(&big));
        let mut got = Vec::new();
        (&reader).read_to_end(&mut got).unwrap();
        writer.join().unwrap().unwrap();
        assert_eq!(got.len(), 256 * 1024);
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}

/// Names the error of opening a FIFO that no program reads (Unix `ENXIO`).
#[cfg(unix)]
fn explain_open_error(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) {
        return io::Error::new(e.kind(), "is a FIFO that no program is reading");
    }
    e
}

/// Elsewhere the error stands as it is.
#[cfg(not(unix))]
fn explain_open_error(e: io::Error) -> io::Error {
    e
}
