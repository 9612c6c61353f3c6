import Testing
@testable import RecurrentData

@Suite("Inspect summary")
struct SafeTensorsSummaryTests {
    @Test("tensors in an aligned table in file order, then a total and the sorted metadata")
    func table() throws {
        var writer = SafeTensorsWriter(metadata: ["case": #"{"module": "GRU"}"#, "author": "two\nlines"])
        try writer.add("input.x", shape: [5, 3, 4], floats: [Float](repeating: 0, count: 60))
        try writer.add("input.lengths", shape: [3], integers: [5, 2, 4])
        try writer.add("h", shape: [], floats: [1], as: .f16)
        let file = try SafeTensorsFile(bytes: try writer.serialized())
        #expect(file.summary() == """
            name           dtype  shape      bytes
            input.lengths  I64    [3]           24
            input.x        F32    [5, 3, 4]    240
            h              F16    []             2
            3 tensors, 266 bytes of data
            metadata:
              author: two\\nlines
              case: {"module": "GRU"}
            """)
    }

    @Test("a file without tensors or metadata says so")
    func empty() throws {
        let file = try SafeTensorsFile(bytes: try SafeTensorsWriter().serialized())
        #expect(file.summary() == """
            name  dtype  shape  bytes
            0 tensors, 0 bytes of data
            metadata: none
            """)
    }

    @Test("control characters in names cannot break the table")
    func hostileName() throws {
        var writer = SafeTensorsWriter()
        try writer.add("a\nb\u{1b}", shape: [1], integers: [1])
        let summary = try SafeTensorsFile(bytes: try writer.serialized()).summary()
        #expect(summary.split(separator: "\n").count == 4)
        #expect(summary.contains(#"a\nb\u{1b}  I64"#))
    }
}
