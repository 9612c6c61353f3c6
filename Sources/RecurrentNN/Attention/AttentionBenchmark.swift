import Foundation
import RecurrentCore
import RecurrentKernels

/// Timings of the attention kernels, named and shaped as in `../shared/bench/torch_bench.py`.
public enum AttentionBenchmark {
    /// The case `sdpa_b32_h8_l128_d64`: `scaledDotProductAttention` forward (inference, no gradients) on
    /// query, key and value `[32, 8, 128, 64]` of normal random values, default scale, no mask. The
    /// function returns the weights as well as the output, so they are materialized (PyTorch's does not).
    ///
    /// Timed as torch_bench.py times: 3 warm-up calls, then calls until at least `minTime` seconds and at
    /// least 5 calls have passed.
    ///
    /// - Parameter minTime: the least number of seconds of timed calls.
    /// - Returns: the median seconds per call.
    public static func sdpa(minTime: Double) -> Double {
        var rng = Xoshiro256StarStar(seed: 1)
        let shape = [32, 8, 128, 64]
        let q = Tensor.normal(shape, using: &rng), k = Tensor.normal(shape, using: &rng), v = Tensor.normal(shape, using: &rng)
        return MedianTimer.median(minTime: minTime) {
            _ = withoutGradients { try! scaledDotProductAttention(query: q, key: k, value: v) }
        }
    }
}
