import ArgumentParser
import Recurrent

/// `recurrent info`: version, matrix-multiply backend and thread count.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the version, the BLAS library in use and the thread count.")

    func run() throws {
        print("recurrent \(RecurrentVersion.string)")
        print("blas: \(GEMM.backendDescription)")
        print("fallback gemm kernel: \(GEMM.fallbackDescription)")
        print("threads: \(Parallel.threadCount)")
    }
}
