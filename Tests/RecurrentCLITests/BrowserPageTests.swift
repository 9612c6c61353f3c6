import Foundation
import Testing
import TestSupport

/// Debian's `chromium` (or `RECURRENT_CHROMIUM`), when installed: the browser test is optional on a
/// developer's machine, and required in CI's first test pass (`RECURRENT_REQUIRE_BROWSER=1`).
enum Browser {
    static let executable: URL? = {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["RECURRENT_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }()
    static var required: Bool { ProcessInfo.processInfo.environment["RECURRENT_REQUIRE_BROWSER"] == "1" }
    /// Under a sanitizer (`scripts/sanitize.sh`) the page test is skipped unless required: the server it
    /// starts is the sanitized build, and the page's code paths are already run by the server tests there.
    static var runs: Bool {
        required || (executable != nil && ProcessInfo.processInfo.environment["RECURRENT_SANITIZER"] == nil)
    }
}

@Suite("The web page in a real browser")
struct BrowserPageTests {
    @Test("headless Chromium loads the page from a running server, submits 我吃瓜 and a word, and shows the tags, the gates and the attention heatmap",
          .enabled(if: Browser.runs))
    func page() async throws {
        let chromium = try #require(Browser.executable, "RECURRENT_REQUIRE_BROWSER=1 but chromium is not installed")
        let (server, port, _) = try ServeCommandTests.start()
        defer { server.terminate() }
        let url = "http://127.0.0.1:\(port)/?text=%E6%88%91%E5%90%83%E7%93%9C&lang=zh&word=watermelon&submit=tag,g2p"
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--virtual-time-budget=30000", "--window-size=1100,1400"]
        let dom = try CLI.run(flags + ["--dump-dom", url], timeout: 180, executable: chromium)
        #expect(dom.status == 0 && !dom.signaled, "\(dom.standardError.suffix(2000))")
        let html = dom.standardOutput
        for expected in ["<b>我</b><span>PRON</span>", "<b>吃</b><span>VERB</span>", "<b>瓜</b><span>NOUN</span>", "WATERMELON → W AO T ER M EH L AH N"] {
            #expect(html.contains(expected), "the page shows \(expected)")
        }
        let attentionCells = html.components(separatedBy: #"<td title=""#).count - 1
        #expect(attentionCells == 10 * 10, "the attention heatmap has a cell per letter for each phoneme and </s>: \(attentionCells)")
        let gateRows = html.components(separatedBy: #"class="gate-row""#).count - 1
        #expect(gateRows == 3 * 3, "a row per word for each of the forget, input and output gates: \(gateRows)")
        #expect(html.contains("forget gate") && html.contains("input gate") && html.contains("output gate"))
        // (Streamed generation is not checked here: headless Chromium's --dump-dom does not wait for a
        // streamed body. The stream is tested over HTTP by ServerAPITests and ServeCommandTests.)
        for form in ["tag", "g2p"] {
            #expect(html.contains(#"id="\#(form)-form" data-done="1""#), "the \(form) form finished")
        }
        #expect(!html.contains(#"class="error" id="tag-error">"#) || html.contains(#"id="tag-error"></div>"#), "no error shown")

        let screenshot: URL
        if let path = ProcessInfo.processInfo.environment["RECURRENT_SCREENSHOT"] {
            screenshot = URL(fileURLWithPath: path)
        } else {
            screenshot = try makeCLITemporaryFolder().appendingPathComponent("page.png")
        }
        try? FileManager.default.removeItem(at: screenshot)
        let shot = try CLI.run(flags + ["--screenshot=\(screenshot.path)", url], timeout: 180, executable: chromium)
        #expect(shot.status == 0 && !shot.signaled, "\(shot.standardError.suffix(2000))")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a PNG screenshot at \(screenshot.path)")
    }
}
