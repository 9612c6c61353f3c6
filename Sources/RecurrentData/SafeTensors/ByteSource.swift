#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a safetensors file's bytes come from: an open file read with `pread` (lazily, tensor by tensor),
/// or bytes already in memory.
///
/// Reading with `pread` rather than `mmap` means a file truncated by someone else while open gives an
/// error, not a SIGBUS.
protocol ByteSource: AnyObject {
    /// Total size in bytes, fixed when opened.
    var size: Int { get }
    /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count` (the caller checked the range
    /// against `size`).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SafeTensorsError)
}

extension ByteSource {
    /// `count` bytes at `offset`; the caller checked the range against `size`, so `count` is bounded by
    /// the real file size and never by a declared one.
    func bytes(at offset: Int, count: Int) throws(SafeTensorsError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var failure: SafeTensorsError? = nil
        result.withUnsafeMutableBytes { buffer in
            do throws(SafeTensorsError) {
                try read(into: buffer, at: offset)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result
    }
}

/// An open regular file, read with `pread`; closed when released.
final class FileByteSource: ByteSource {
    let size: Int
    private let descriptor: Int32
    private let path: String

    /// Opens `path` read-only; fails for a missing, unreadable or non-regular file (e.g. a directory).
    init(path: String) throws(SafeTensorsError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: systemError()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = systemError()
            close(fd)
            throw .unreadable(path: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            let kind = (info.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "not a regular file"
            throw .unreadable(path: path, reason: kind)
        }
        guard let size = Int(exactly: info.st_size), size >= 0 else {
            close(fd)
            throw .unreadable(path: path, reason: "file size \(info.st_size) is out of range")
        }
        self.descriptor = fd
        self.size = size
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SafeTensorsError) {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let chunk = min(buffer.count - done, 1 << 30)
            let n = pread(descriptor, base + done, chunk, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: systemError())
            }
            if n == 0 {
                throw .unreadable(path: path, reason: "file ended at byte \(offset + done), expected \(size) bytes (was it truncated while open?)")
            }
            done += n
        }
    }
}

/// Bytes held in memory.
final class MemoryByteSource: ByteSource {
    private let storage: [UInt8]
    var size: Int { storage.count }

    init(_ bytes: [UInt8]) {
        storage = bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SafeTensorsError) {
        guard offset >= 0, buffer.count <= storage.count - offset else {
            throw .unreadable(path: "<memory>", reason: "read past the end of the bytes")
        }
        storage.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + buffer.count)]))
        }
    }
}

/// `strerror(errno)`, e.g. "No such file or directory".
func systemError() -> String {
    let code = errno
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
