#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file by writing a temporary file in the same folder, flushing it to disk and renaming it over
/// the destination: readers see either the old file or the complete new one, never a partial file. On any
/// failure the temporary file is removed and the old file is left untouched. A replaced file's permission
/// bits carry over to the new one.
enum AtomicFileWriter {
    /// Writes what `body` sends to the sink into `path`, atomically.
    static func write(to path: String, _ body: (inout FileSink) throws(SafeTensorsError) -> Void) throws(SafeTensorsError) {
        let (directory, base) = splitPath(path)
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() as UInt64, radix: 36)
        let temporary = (directory.map { $0 + "/" } ?? "") + ".\(base).\(getpid()).\(suffix).tmp"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: "cannot create \(temporary): \(systemError())") }
        var sink = FileSink(descriptor: fd, path: path)
        var closed = false
        do throws(SafeTensorsError) {
            var existing = stat()
            if stat(path, &existing) == 0, (existing.st_mode & S_IFMT) == S_IFREG {
                guard fchmod(fd, existing.st_mode & 0o7777) == 0 else {
                    throw .writeFailed(path: path, reason: "cannot copy the old file's permissions: \(systemError())")
                }
            }
            try body(&sink)
            guard fsync(fd) == 0 else { throw .writeFailed(path: path, reason: "fsync failed: \(systemError())") }
            closed = true
            guard close(fd) == 0 else { throw .writeFailed(path: path, reason: "close failed: \(systemError())") }
            guard rename(temporary, path) == 0 else {
                throw .writeFailed(path: path, reason: "cannot rename the temporary file into place: \(systemError())")
            }
        } catch {
            if !closed { close(fd) }
            unlink(temporary)
            throw error
        }
        // Make the rename itself durable; failure here does not undo a completed write.
        let directoryFD = open(directory ?? ".", O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// ("dir", "name") for "dir/name", (nil, "name") for "name", ("/", "name") for "/name".
    static func splitPath(_ path: String) -> (directory: String?, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (nil, path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}

/// Where `AtomicFileWriter` sends bytes: a file descriptor, with complete writes (retrying short writes
/// and interrupted calls).
struct FileSink {
    let descriptor: Int32
    let path: String

    /// Writes all of `bytes`.
    mutating func write(_ bytes: [UInt8]) throws(SafeTensorsError) {
        var failure: SafeTensorsError? = nil
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count, let base = buffer.baseAddress {
                let n = writeSome(descriptor, base + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .writeFailed(path: path, reason: systemError())
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
    }
}

/// `write(2)`, named apart from `FileSink.write`.
private func writeSome(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
