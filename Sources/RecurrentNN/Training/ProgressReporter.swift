import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reports training progress — epoch, batch, running loss, tokens per second, time left — as a progress
/// bar redrawn in place when standard error is a terminal, and as plain log lines otherwise (files, CI).
///
/// ```swift
/// let progress = ProgressReporter(epochs: 20, batchesPerEpoch: batches.count)
/// for epoch in 0..<20 {
///     progress.beginEpoch(epoch)
///     for batch in batches { …; progress.update(loss: loss.item, tokens: batch.tokenCount) }
///     progress.endEpoch("dev accuracy 94.1%")
/// }
/// ```
///
/// The loss shown is the token-weighted mean over the epoch so far; speed and time left are measured over
/// the epoch so far (time left covers the rest of this epoch and the remaining epochs).
public final class ProgressReporter {
    /// How progress is shown.
    public enum Style: Sendable {
        /// A bar when standard error is a terminal, log lines otherwise.
        case automatic
        /// A bar redrawn in place (carriage return, erase line).
        case bar
        /// Plain lines, at most one per `logInterval` seconds.
        case lines
    }

    /// Epochs in the whole run.
    public let epochs: Int
    /// Batches per epoch.
    public let batchesPerEpoch: Int
    /// Whether progress is drawn as a bar (else as lines).
    public let usesBar: Bool
    /// Seconds between log lines in line mode.
    public let logInterval: Double
    /// Seconds between redraws of the bar.
    public let redrawInterval: Double

    private let write: (String) -> Void
    private let clock: () -> Double
    private let columns: Int

    /// The current epoch (0-based).
    public private(set) var epoch = 0
    /// Batches finished in the current epoch.
    public private(set) var batch = 0
    private var batchesAtStart = 0
    private var epochStart = 0.0
    private var lossSum = 0.0
    private var lossWeight = 0.0
    private var tokens = 0
    private var lastOutput = -Double.infinity
    private var barShown = false

    /// - Parameters:
    ///   - epochs: epochs in the run (> 0).
    ///   - batchesPerEpoch: batches per epoch (> 0).
    ///   - style: `.automatic` (default), `.bar` or `.lines`.
    ///   - logInterval: seconds between lines in line mode (default 10).
    ///   - redrawInterval: seconds between bar redraws (default 0.1).
    ///   - columns: terminal width for the bar; nil asks the terminal (falling back to `COLUMNS`, then 80).
    ///   - write: where text goes; nil writes to standard error.
    ///   - clock: seconds from any fixed origin; nil uses a monotonic clock.
    public init(epochs: Int, batchesPerEpoch: Int, style: Style = .automatic, logInterval: Double = 10,
                redrawInterval: Double = 0.1, columns: Int? = nil, write: ((String) -> Void)? = nil, clock: (() -> Double)? = nil) {
        precondition(epochs > 0 && batchesPerEpoch > 0, "ProgressReporter: epochs and batches per epoch must be > 0")
        self.epochs = epochs
        self.batchesPerEpoch = batchesPerEpoch
        switch style {
        case .automatic: usesBar = isatty(STDERR_FILENO) != 0
        case .bar: usesBar = true
        case .lines: usesBar = false
        }
        self.logInterval = logInterval
        self.redrawInterval = redrawInterval
        self.write = write ?? { FileHandle.standardError.write(Data($0.utf8)) }
        self.clock = clock ?? ProgressReporter.monotonicSeconds
        self.columns = columns ?? ProgressReporter.terminalColumns()
    }

    /// Starts an epoch.
    /// - Parameters:
    ///   - epoch: its 0-based index (shown 1-based).
    ///   - completedBatches: batches of it already done (when resuming mid-epoch).
    public func beginEpoch(_ epoch: Int, completedBatches: Int = 0) {
        self.epoch = epoch
        batch = completedBatches
        batchesAtStart = completedBatches
        epochStart = clock()
        lossSum = 0
        lossWeight = 0
        tokens = 0
        lastOutput = epochStart
    }

    /// Records a finished batch and redraws (or logs) when it is time.
    /// - Parameters:
    ///   - loss: the batch's mean loss.
    ///   - tokens: tokens in the batch (weights the loss; 0 weighs it as 1).
    public func update(loss: Double, tokens batchTokens: Int = 0) {
        batch += 1
        let weight = Double(Swift.max(batchTokens, 1))
        lossSum += loss * weight
        lossWeight += weight
        tokens += batchTokens
        let now = clock()
        if usesBar {
            if now - lastOutput >= redrawInterval || batch >= batchesPerEpoch {
                drawBar(now: now)
                lastOutput = now
            }
        } else if now - lastOutput >= logInterval {
            write(statusLine(now: now) + "\n")
            lastOutput = now
        }
    }

    /// Ends the epoch with a summary line (and `message`, e.g. dev scores, appended).
    public func endEpoch(_ message: String? = nil) {
        let now = clock()
        if usesBar {
            drawBar(now: now)
            write("\n")
            barShown = false
        }
        var line = "epoch \(epoch + 1)/\(epochs) done in \(ProgressReporter.duration(now - epochStart))"
        if lossWeight > 0 { line += "  loss " + ProgressReporter.fixed(lossSum / lossWeight, 4) }
        if tokens > 0 { line += "  " + ProgressReporter.rate(Double(tokens) / Swift.max(now - epochStart, 1e-9)) + " tok/s" }
        if let message, !message.isEmpty { line += "  " + message }
        write(line + "\n")
    }

    /// Writes a line of text without breaking the bar (the bar is redrawn on the next update).
    public func log(_ message: String) {
        if usesBar && barShown { write("\r\u{1B}[K") }
        barShown = false
        write(message + "\n")
    }

    // MARK: Formatting

    /// `epoch 3/10  batch 120/400  loss 0.4321  12.3k tok/s  ETA 3m12s`.
    public func statusLine(now: Double) -> String {
        "epoch \(epoch + 1)/\(epochs)  batch \(batch)/\(batchesPerEpoch)" + metrics(now: now)
    }

    private func metrics(now: Double) -> String {
        let elapsed = Swift.max(now - epochStart, 1e-9)
        var text = ""
        if lossWeight > 0 { text += "  loss " + ProgressReporter.fixed(lossSum / lossWeight, 4) }
        if tokens > 0 { text += "  " + ProgressReporter.rate(Double(tokens) / elapsed) + " tok/s" }
        let done = batch - batchesAtStart
        if done > 0 {
            let remaining = Swift.max(batchesPerEpoch - batch, 0) + Swift.max(epochs - epoch - 1, 0) * batchesPerEpoch
            text += "  ETA " + ProgressReporter.duration(elapsed / Double(done) * Double(remaining))
        }
        return text
    }

    /// The bar line for the current state, fitted to `columns`.
    public func barLine(now: Double) -> String {
        let prefix = "epoch \(epoch + 1)/\(epochs) "
        let counts = " \(batch)/\(batchesPerEpoch)"
        let suffix = metrics(now: now)
        let room = columns - 1 - prefix.count - counts.count - suffix.count - 2
        let width = Swift.min(30, room)
        var line = prefix
        if width >= 5 {
            let filled = Swift.min(width, width * Swift.min(batch, batchesPerEpoch) / batchesPerEpoch)
            line += "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "]"
        }
        line += counts + suffix
        return line.count > columns - 1 ? String(line.prefix(Swift.max(columns - 1, 1))) : line
    }

    private func drawBar(now: Double) {
        write("\r\u{1B}[K" + barLine(now: now))
        barShown = true
    }

    /// `0.4321` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        return String(format: "%.\(digits)f", value)
    }

    /// `950`, `12.3k`, `4.56M`.
    static func rate(_ value: Double) -> String {
        if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if value >= 1e4 { return String(format: "%.1fk", value / 1e3) }
        return String(format: "%.0f", value)
    }

    /// `45s`, `3m12s`, `2h05m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" + String(format: "%02ds", total % 60) }
        return "\(total / 3600)h" + String(format: "%02dm", total % 3600 / 60)
    }

    private static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    private static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 0 { return value }
        return 80
    }
}

/// Shows a `Trainer` run's progress with a `ProgressReporter` — a bar on a terminal, log lines otherwise —
/// and ends every epoch with the line `describe` makes of it.
public final class ProgressCallback: TrainingCallback {
    /// The reporter, or nil to print only the epoch lines (through `log`).
    public let reporter: ProgressReporter?
    /// The line that ends an epoch (its loss, dev metric, …).
    public let describe: (TrainingHistory.Epoch, TrainingHistory) -> String
    /// Where epoch lines go when there is no reporter.
    public let log: (String) -> Void

    /// Makes a callback.
    public init(reporter: ProgressReporter?, log: @escaping (String) -> Void = { print($0) },
                describe: @escaping (TrainingHistory.Epoch, TrainingHistory) -> String) {
        self.reporter = reporter
        self.log = log
        self.describe = describe
    }

    public func trainerDidStep(_ trainer: TrainerProgress, step: Int, loss: Double, items: Int) throws {
        if trainer.batchesDone == 1 { reporter?.beginEpoch(trainer.currentEpoch) }
        reporter?.update(loss: loss, tokens: items)
    }

    public func trainerDidFinishEpoch(_ trainer: TrainerProgress, epoch: TrainingHistory.Epoch, history: TrainingHistory) throws {
        let line = describe(epoch, history)
        if let reporter { reporter.endEpoch(line) } else { log("epoch \(epoch.epoch): " + line) }
    }
}
