import Foundation

/// Times a call the way `../shared/bench/torch_bench.py` does, so figures compare: `warmup` untimed calls,
/// then timed calls until at least `minIterations` calls and `minTime` seconds have passed.
public enum MedianTimer {
    /// The median seconds per call of `body`.
    public static func median(minTime: Double, warmup: Int = 3, minIterations: Int = 5, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let t1 = DispatchTime.now().uptimeNanoseconds
            times.append(Double(t1 - t0) / 1e9)
            if times.count >= minIterations && Double(t1 - start) / 1e9 > minTime { break }
        }
        times.sort()
        return times[times.count / 2]
    }
}
