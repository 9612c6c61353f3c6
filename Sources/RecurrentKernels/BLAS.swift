#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The C type of `cblas_sgemm` (CBLAS, 32-bit integers):
/// `(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)`.
typealias CblasSgemmFunction = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32,
    Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
    Float, UnsafeMutablePointer<Float>?, Int32
) -> Void

/// The C type of `openblas_set_num_threads(int)`.
typealias OpenBLASSetThreadsFunction = @convention(c) (Int32) -> Void

/// CBLAS enumeration values.
enum CBLAS {
    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112
}

/// A dynamic library opened for symbol look-up (a real `dlopen` handle, or a stand-in in tests).
protocol SymbolSource {
    /// The address of `name`, or nil when the library does not export it.
    func symbol(_ name: String) -> UnsafeMutableRawPointer?
}

/// A `dlopen` handle. It is never closed: the BLAS stays loaded for the life of the process.
struct DynamicLibrary: SymbolSource {
    let handle: UnsafeMutableRawPointer

    /// Opens `path` with `dlopen(RTLD_NOW | RTLD_LOCAL)`; nil when it cannot be loaded.
    static func open(_ path: String) -> DynamicLibrary? {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        return DynamicLibrary(handle: handle)
    }

    func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }
}

/// A CBLAS library found at run time.
struct BLASLibrary: @unchecked Sendable {
    /// The path or file name it was opened with, e.g. `libopenblas.so.0`.
    let path: String
    /// A short vendor name: `openblas`, `accelerate` or `cblas`.
    let vendor: String
    /// `cblas_sgemm`.
    let sgemm: CblasSgemmFunction
    /// `openblas_set_num_threads`, when the library has it.
    let setThreads: OpenBLASSetThreadsFunction?

    /// Wraps `source` when it exports `cblas_sgemm`; nil otherwise.
    init?(path: String, source: SymbolSource) {
        guard let sgemmSymbol = source.symbol("cblas_sgemm") else { return nil }
        self.path = path
        self.sgemm = unsafeBitCast(sgemmSymbol, to: CblasSgemmFunction.self)
        if let threads = source.symbol("openblas_set_num_threads") {
            self.setThreads = unsafeBitCast(threads, to: OpenBLASSetThreadsFunction.self)
        } else {
            self.setThreads = nil
        }
        if setThreads != nil || source.symbol("openblas_get_config") != nil {
            vendor = "openblas"
        } else if path.contains("Accelerate") {
            vendor = "accelerate"
        } else {
            vendor = "cblas"
        }
    }
}

/// The outcome of looking for a BLAS: the library (nil means use the fallback) and a description.
struct BLASSelection: @unchecked Sendable {
    /// The library chosen, or nil for the portable fallback.
    let library: BLASLibrary?
    /// What `GEMM.backendDescription` reports, e.g. `openblas (libopenblas.so.0)`.
    let description: String
}

/// Finds a CBLAS library at run time.
enum BLASLoader {
    /// The libraries tried, in order, when `RECURRENT_BLAS` is not set.
    static var defaultCandidates: [String] {
        #if canImport(Darwin)
        return ["/System/Library/Frameworks/Accelerate.framework/Accelerate",
                "libopenblas.dylib", "libcblas.dylib", "libblas.dylib"]
        #else
        return ["libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"]
        #endif
    }

    /// Chooses a library.
    ///
    /// - Parameters:
    ///   - environment: the value of `RECURRENT_BLAS`: nil or empty means "search `candidates`",
    ///     `none` (any case) forces the fallback, anything else is the only path tried.
    ///   - candidates: the paths or file names tried in order when `environment` is nil or empty.
    ///   - open: opens a path for symbol look-up (nil when it cannot be loaded).
    /// - Returns: the first library that loads and exports `cblas_sgemm`, with a description.
    static func select(
        environment: String?, candidates: [String], open: (String) -> SymbolSource?
    ) -> BLASSelection {
        let requested = environment?.trimmingCharacters(in: .whitespaces) ?? ""
        if requested.lowercased() == "none" {
            return BLASSelection(library: nil, description: "fallback (RECURRENT_BLAS=none)")
        }
        if !requested.isEmpty {
            guard let source = open(requested) else {
                return BLASSelection(library: nil, description: "fallback (RECURRENT_BLAS=\(requested) failed to load)")
            }
            guard let library = BLASLibrary(path: requested, source: source) else {
                return BLASSelection(library: nil, description: "fallback (RECURRENT_BLAS=\(requested) has no cblas_sgemm)")
            }
            return BLASSelection(library: library, description: "\(library.vendor) (\(requested))")
        }
        for candidate in candidates {
            if let source = open(candidate), let library = BLASLibrary(path: candidate, source: source) {
                return BLASSelection(library: library, description: "\(library.vendor) (\(candidate))")
            }
        }
        return BLASSelection(library: nil, description: "fallback (no BLAS found)")
    }

    /// The thread count an OpenBLAS is given when loaded (and restored to after `GEMMBenchmark` times
    /// the library's own threading).
    static let libraryThreads: Int32 = 1

    /// The process-wide selection: made once, lazily and thread-safely, from `RECURRENT_BLAS` and
    /// `defaultCandidates`. An OpenBLAS is told to use one thread: `GEMM.sgemm` splits large products
    /// across `Parallel`'s threads itself (see `BLASThreading.swift`).
    static let shared: BLASSelection = {
        let environment = ProcessInfo.processInfo.environment["RECURRENT_BLAS"]
        let selection = select(environment: environment, candidates: defaultCandidates) { DynamicLibrary.open($0) }
        if let setThreads = selection.library?.setThreads {
            setThreads(libraryThreads)
        }
        return selection
    }()
}

extension GEMM {
    /// Whether a CBLAS library was loaded (so `sgemm` uses it).
    public static var blasAvailable: Bool { BLASLoader.shared.library != nil }

    /// The matrix-multiply backend in use, e.g. `openblas (libopenblas.so.0)`,
    /// `fallback (no BLAS found)` or `fallback (RECURRENT_BLAS=none)`.
    public static var backendDescription: String { BLASLoader.shared.description }

    /// `C = alpha · op(A) · op(B) + beta · C` through the loaded CBLAS `cblas_sgemm` (row-major).
    ///
    /// The arguments are those of `sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`:
    /// - `a`: [m×k] with leading dimension `lda` (≥ k), or [k×m] (`lda` ≥ m) when `transA`.
    /// - `b`: [k×n] with leading dimension `ldb` (≥ n), or [n×k] (`ldb` ≥ k) when `transB`.
    /// - `c`: [m×n] with leading dimension `ldc` (≥ n); read only when `beta != 0`.
    ///
    /// - Returns: false, leaving `c` untouched, when no BLAS is loaded or a size does not fit the
    ///   library's 32-bit integers; true when the product was computed.
    @discardableResult
    public static func blasSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        guard let library = BLASLoader.shared.library else { return false }
        let limit = Int(Int32.max)
        guard m <= limit, n <= limit, k <= limit, lda <= limit, ldb <= limit, ldc <= limit else { return false }
        if m <= 0 || n <= 0 { return true }
        if k <= 0 || alpha == 0 {
            scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return true
        }
        // CBLAS rejects a leading dimension below the row length even when only one row exists;
        // a single-row operand never uses it, so give the library a value it accepts.
        let aColumns = transA ? m : k, aRows = transA ? k : m
        let bColumns = transB ? k : n, bRows = transB ? n : k
        let safeLda = aRows == 1 ? max(lda, aColumns) : lda
        let safeLdb = bRows == 1 ? max(ldb, bColumns) : ldb
        let safeLdc = m == 1 ? max(ldc, n) : ldc
        library.sgemm(
            CBLAS.rowMajor, transA ? CBLAS.trans : CBLAS.noTrans, transB ? CBLAS.trans : CBLAS.noTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(safeLda), b, Int32(safeLdb),
            beta, c, Int32(safeLdc))
        return true
    }

    /// `C = beta · C` over an [m×n] block with leading dimension `ldc`; beta == 0 writes zeros
    /// without reading `c` (so NaN garbage is cleared).
    static func scaleC(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }
}
