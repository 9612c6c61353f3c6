import Foundation
import RecurrentCore
import RecurrentKernels

/// A linear-chain conditional random field over tag sequences: the score of tags `y` for emission scores `e`
/// is `start[y₀] + Σₜ e[t, yₜ] + Σₜ transitions[yₜ₋₁, yₜ] + end[y_last]`. Training minimizes the negative
/// log-likelihood of the gold tags (forward algorithm); prediction takes the best sequence (Viterbi).
///
/// Keys as in `pytorch-crf`: `transitions` `[tags, tags]` (from, to), `start_transitions` `[tags]`,
/// `end_transitions` `[tags]`.
enum TaggerCRF {
    /// The summed negative log-likelihood of the gold tags over a batch, divided by `normalizer`, as one tape
    /// node with inputs emissions, transitions, start and end.
    ///
    /// - Parameters:
    ///   - emissions: `[B, T, C]` scores; rows past a sentence's length are ignored.
    ///   - transitions: `[C, C]`; `start`, `end`: `[C]`.
    ///   - lengths: `[B]`, each in `1...T`.
    ///   - targets: `[B·T]` gold tag ids (each real position must have one in `0..<C`).
    ///   - normalizer: the divisor (the number of words, so the scale matches a per-word cross-entropy).
    /// - Returns: a scalar.
    static func negativeLogLikelihood(emissions: Tensor, transitions: Tensor, start: Tensor, end: Tensor,
                                      lengths: [Int], targets: [Int], normalizer: Int) -> Tensor {
        let (B, T, C) = (emissions.shape[0], emissions.shape[1], emissions.shape[2])
        precondition(transitions.shape == [C, C] && start.shape == [C] && end.shape == [C] && lengths.count == B
                     && targets.count == B * T, "TaggerCRF: mismatched shapes")
        for (b, L) in lengths.enumerated() {
            precondition(L >= 1 && L <= T, "TaggerCRF: length \(L) is not in 1...\(T)")
            for t in 0..<L { precondition(targets[b * T + t] >= 0 && targets[b * T + t] < C, "TaggerCRF: a word without a gold tag") }
        }
        let scale = 1 / Float(Swift.max(normalizer, 1))
        // Per sentence: its NLL, and the gradient pieces (marginals minus gold counts), computed in parallel.
        var nll = [Double](repeating: 0, count: B)
        var dEmissions = [Float](repeating: 0, count: B * T * C)
        let threads = Swift.max(1, Swift.min(Parallel.availableThreads, B / 4))
        var dTransitions = [[Float]](repeating: [Float](repeating: 0, count: C * C), count: threads)
        var dStart = [[Float]](repeating: [Float](repeating: 0, count: C), count: threads)
        var dEnd = [[Float]](repeating: [Float](repeating: 0, count: C), count: threads)
        emissions.scalars.withUnsafeBufferPointer { e in
        transitions.scalars.withUnsafeBufferPointer { a in
        start.scalars.withUnsafeBufferPointer { s in
        end.scalars.withUnsafeBufferPointer { z in
        targets.withUnsafeBufferPointer { y in
        nll.withUnsafeMutableBufferPointer { nll in
        dEmissions.withUnsafeMutableBufferPointer { de in
            let dT = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: threads)
            let dS = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: threads)
            let dZ = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: threads)
            defer { dT.deallocate(); dS.deallocate(); dZ.deallocate() }
            for k in 0..<threads {
                dT[k] = .allocate(capacity: C * C); dT[k].initialize(repeating: 0, count: C * C)
                dS[k] = .allocate(capacity: C); dS[k].initialize(repeating: 0, count: C)
                dZ[k] = .allocate(capacity: C); dZ[k].initialize(repeating: 0, count: C)
            }
            // Thread k takes sentences B·k/threads ..< B·(k+1)/threads and accumulates into its own buffers.
            Parallel.forChunks(count: threads, grain: 1) { chunks in for k in chunks {
                let range = (B * k / threads)..<(B * (k + 1) / threads)
                let alpha = UnsafeMutablePointer<Float>.allocate(capacity: T * C)
                let beta = UnsafeMutablePointer<Float>.allocate(capacity: T * C)
                let work = UnsafeMutablePointer<Float>.allocate(capacity: C)
                defer { alpha.deallocate(); beta.deallocate(); work.deallocate() }
                for b in range {
                    let L = lengths[b]
                    let eb = e.baseAddress! + b * T * C
                    // Forward: alpha[t, j] = log Σ_i exp(alpha[t-1, i] + a[i, j]) + e[t, j].
                    for j in 0..<C { alpha[j] = s[j] + eb[j] }
                    for t in 1..<Swift.max(L, 1) {
                        let previous = alpha + (t - 1) * C, current = alpha + t * C
                        for j in 0..<C {
                            var m = -Float.infinity
                            for i in 0..<C { work[i] = previous[i] + a[i * C + j]; m = Swift.max(m, work[i]) }
                            var sum: Float = 0
                            for i in 0..<C { sum += Foundation.exp(work[i] - m) }
                            current[j] = m + Foundation.log(sum) + eb[t * C + j]
                        }
                    }
                    let last = alpha + (L - 1) * C
                    var m = -Float.infinity
                    for j in 0..<C { m = Swift.max(m, last[j] + z[j]) }
                    var sum: Float = 0
                    for j in 0..<C { sum += Foundation.exp(last[j] + z[j] - m) }
                    let logZ = m + Foundation.log(sum)
                    // Backward: beta[t, i] = log Σ_j exp(a[i, j] + e[t+1, j] + beta[t+1, j]).
                    let lastBeta = beta + (L - 1) * C
                    for i in 0..<C { lastBeta[i] = z[i] }
                    var t = L - 2
                    while t >= 0 {
                        let next = beta + (t + 1) * C, current = beta + t * C, en = eb + (t + 1) * C
                        for j in 0..<C { work[j] = en[j] + next[j] }
                        for i in 0..<C {
                            var m = -Float.infinity
                            for j in 0..<C { m = Swift.max(m, a[i * C + j] + work[j]) }
                            var sum: Float = 0
                            for j in 0..<C { sum += Foundation.exp(a[i * C + j] + work[j] - m) }
                            current[i] = m + Foundation.log(sum)
                        }
                        t -= 1
                    }
                    // Gold score and gradients: marginals minus gold indicators.
                    let gold = y.baseAddress! + b * T
                    var score = s[gold[0]] + z[gold[L - 1]]
                    for t in 0..<L { score += eb[t * C + gold[t]] }
                    for t in 1..<Swift.max(L, 1) { score += a[gold[t - 1] * C + gold[t]] }
                    nll[b] = Double(logZ - score)
                    let deb = de.baseAddress! + b * T * C
                    for t in 0..<L {
                        for j in 0..<C { deb[t * C + j] = Foundation.exp(alpha[t * C + j] + beta[t * C + j] - logZ) }
                        deb[t * C + gold[t]] -= 1
                    }
                    for j in 0..<C {
                        dS[k][j] += deb[j]
                        dZ[k][j] += Foundation.exp(last[j] + z[j] - logZ)
                    }
                    dZ[k][gold[L - 1]] -= 1
                    for t in 1..<Swift.max(L, 1) {
                        let previous = alpha + (t - 1) * C, current = beta + t * C, et = eb + t * C
                        for i in 0..<C {
                            for j in 0..<C {
                                dT[k][i * C + j] += Foundation.exp(previous[i] + a[i * C + j] + et[j] + current[j] - logZ)
                            }
                        }
                        dT[k][gold[t - 1] * C + gold[t]] -= 1
                    }
                }
            }}
            for k in 0..<threads {
                dTransitions[k] = Array(UnsafeBufferPointer(start: dT[k], count: C * C))
                dStart[k] = Array(UnsafeBufferPointer(start: dS[k], count: C))
                dEnd[k] = Array(UnsafeBufferPointer(start: dZ[k], count: C))
                dT[k].deallocate(); dS[k].deallocate(); dZ[k].deallocate()
            }
        }}}}}}}
        let loss = Tensor(scalar: Float(nll.reduce(0, +)) * scale)
        func summed(_ parts: [[Float]]) -> [Float] {
            var total = parts[0]
            for part in parts.dropFirst() { for i in total.indices { total[i] += part[i] } }
            return total
        }
        let gradients = (emissions: dEmissions, transitions: summed(dTransitions), start: summed(dStart), end: summed(dEnd))
        let shapes = (emissions.shape, transitions.shape, start.shape, end.shape)
        return Tensor.record("crf_nll", inputs: [emissions, transitions, start, end], output: loss) { g, needs in
            let factor = g.item * scale
            func scaled(_ values: [Float], _ shape: [Int]) -> Tensor { Tensor(shape: shape, scalars: values.map { $0 * factor }) }
            return [needs[0] ? scaled(gradients.emissions, shapes.0) : nil,
                    needs[1] ? scaled(gradients.transitions, shapes.1) : nil,
                    needs[2] ? scaled(gradients.start, shapes.2) : nil,
                    needs[3] ? scaled(gradients.end, shapes.3) : nil]
        }
    }

    /// The best tag sequence of each sentence (Viterbi).
    /// - Parameters:
    ///   - emissions: `[B, T, C]` values, row-major.
    ///   - transitions: `[C, C]`; `start`, `end`: `[C]`.
    ///   - lengths: `[B]`.
    /// - Returns: `[B][lengths[b]]` tag ids.
    static func viterbi(emissions: [Float], steps T: Int, tags C: Int, transitions a: [Float], start s: [Float], end z: [Float],
                        lengths: [Int]) -> [[Int]] {
        var result: [[Int]] = []
        result.reserveCapacity(lengths.count)
        var score = [Float](repeating: 0, count: C), next = [Float](repeating: 0, count: C)
        var back = [Int](repeating: 0, count: T * C)
        for (b, L) in lengths.enumerated() {
            let base = b * T * C
            for j in 0..<C { score[j] = s[j] + emissions[base + j] }
            for t in 1..<Swift.max(L, 1) {
                for j in 0..<C {
                    var best = 0, bestScore = score[0] + a[j]
                    for i in 1..<C where score[i] + a[i * C + j] > bestScore { best = i; bestScore = score[i] + a[i * C + j] }
                    next[j] = bestScore + emissions[base + t * C + j]
                    back[t * C + j] = best
                }
                swap(&score, &next)
            }
            var last = 0
            for j in 1..<C where score[j] + z[j] > score[last] + z[last] { last = j }
            var path = [Int](repeating: 0, count: L)
            path[L - 1] = last
            var t = L - 1
            while t > 0 { path[t - 1] = back[t * C + path[t]]; t -= 1 }
            result.append(path)
        }
        return result
    }
}
