import Testing
import RecurrentNN

/// A clock the test moves by hand, and a sink that collects the output.
private final class FakeTerminal {
    var now = 100.0
    var output = ""
}

@Suite("Progress reporter")
struct ProgressReporterTests {
    @Test("line mode: one line per log interval and a summary per epoch")
    func lines() {
        let terminal = FakeTerminal()
        let progress = ProgressReporter(epochs: 2, batchesPerEpoch: 4, style: .lines, logInterval: 10,
                                        write: { terminal.output += $0 }, clock: { terminal.now })
        #expect(!progress.usesBar)
        progress.beginEpoch(0)
        terminal.now += 5
        progress.update(loss: 2.0, tokens: 100)   // 5 s: too early for a line
        #expect(terminal.output.isEmpty)
        terminal.now += 5
        progress.update(loss: 1.0, tokens: 300)   // 10 s
        // Loss is token-weighted: (2·100 + 1·300) / 400 = 1.25; 400 tokens in 10 s; 2 of 8 batches in 10 s → 30 s left.
        #expect(terminal.output == "epoch 1/2  batch 2/4  loss 1.2500  40 tok/s  ETA 30s\n")
        terminal.output = ""
        terminal.now += 10
        progress.update(loss: 1.0, tokens: 100)
        terminal.now += 10
        progress.update(loss: 1.0, tokens: 100)
        progress.endEpoch("dev acc 50.0%")
        #expect(terminal.output.hasSuffix("epoch 1/2 done in 30s  loss 1.1667  20 tok/s  dev acc 50.0%\n"))
    }

    @Test("bar mode: redraws in place, ends the line at the end of an epoch, fits the width")
    func bar() {
        let terminal = FakeTerminal()
        let progress = ProgressReporter(epochs: 3, batchesPerEpoch: 10, style: .bar, redrawInterval: 0.1, columns: 100,
                                        write: { terminal.output += $0 }, clock: { terminal.now })
        #expect(progress.usesBar)
        progress.beginEpoch(1, completedBatches: 4)
        terminal.now += 60
        progress.update(loss: 0.5, tokens: 20_000)
        #expect(terminal.output.hasPrefix("\r\u{1B}[K"))
        #expect(!terminal.output.contains("\n"))
        // Half the bar: batch 5 of 10; 1 batch per minute, 5 + 10 batches left.
        #expect(terminal.output.contains("epoch 2/3 [===============               ] 5/10  loss 0.5000  333 tok/s  ETA 15m00s"))
        progress.log("note")
        #expect(terminal.output.hasSuffix("\r\u{1B}[Knote\n"))
        progress.endEpoch()
        #expect(terminal.output.hasSuffix("\n"))
        let narrow = ProgressReporter(epochs: 3, batchesPerEpoch: 10, style: .bar, columns: 30, write: { _ in }, clock: { terminal.now })
        narrow.beginEpoch(0)
        narrow.update(loss: 1)
        #expect(narrow.barLine(now: terminal.now).count <= 29)
    }
}
