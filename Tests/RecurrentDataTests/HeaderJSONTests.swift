import Testing
@testable import RecurrentData

@Suite("Strict header JSON parser")
struct HeaderJSONTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> HeaderJSON {
        try HeaderJSONParser.parse(Array(text.utf8))
    }

    private func syntaxError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try parse(text)
            Issue.record("expected \(text.prefix(60)) to be rejected")
            return nil
        } catch {
            return error
        }
    }

    private func number(_ text: String) throws -> JSONNumber.IntegerValue? {
        guard case .number(let n) = try parse(text) else { return nil }
        return n.integer
    }

    @Test("objects keep members in order, duplicates included")
    func objectOrderAndDuplicates() throws {
        let value = try parse(#"  {"b": 1, "a": [true, false, null], "b": "x"}   "#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "b"])
        #expect(members[1].value == .array([.bool(true), .bool(false), .null]))
        #expect(members[2].value == .string("x"))
    }

    @Test("integers are exact, with overflow detected")
    func integers() throws {
        #expect(try number("0") == .nonNegative(0))
        #expect(try number("18446744073709551615") == .nonNegative(.max))
        #expect(try number("18446744073709551616") == .outOfRange)
        #expect(try number("99999999999999999999999999") == .outOfRange)
        #expect(try number("-9223372036854775808") == .negative(.min))
        #expect(try number("-9223372036854775809") == .outOfRange)
        #expect(try number("-5") == .negative(-5))
        #expect(try number("-0") == .negative(0))
        #expect(try number("1.0") == .notAnInteger)
        #expect(try number("1e3") == .notAnInteger)
        #expect(try number("2E-1") == .notAnInteger)
    }

    @Test("strings decode escapes, surrogate pairs and raw UTF-8")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC\ud83d\ude00""#) == .string("é€😀"))
        #expect(try parse(#""ünïcødé ✓""#) == .string("ünïcødé ✓"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test("invalid JSON is rejected with a reason and position", arguments: [
        ("", "expected a value"),
        ("   ", "expected a value"),
        ("{", "expected a string key"),
        ("{\"a\" 1}", "expected ':'"),
        ("{\"a\":1,}", "expected a string key"),
        ("[1,]", "unexpected ']'"),
        ("[1 2]", "expected ',' or ']'"),
        ("{'a':1}", "expected a string key"),
        ("01", "leading zeros"),
        ("+1", "unexpected '+'"),
        (".5", "unexpected '.'"),
        ("1.", "digit after '.'"),
        ("1e", "digit in the exponent"),
        ("-", "digit after '-'"),
        ("tru", "unexpected 't'"),
        ("nul", "unexpected 'n'"),
        ("NaN", "unexpected 'N'"),
        ("\"abc", "unterminated string"),
        ("\"a\tb\"", "control character"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\u12\"", "four hex digits"),
        ("\"\\udc00\"", "unpaired surrogate"),
        ("\"\\ud800x\"", "unpaired surrogate"),
        ("\"\\ud800\\u0041\"", "unpaired surrogate"),
        ("{} {}", "after the JSON value"),
        ("{}\u{0}", "byte 0x0 after the JSON value"),
    ])
    func invalid(_ text: String, _ reason: String) {
        guard let error = syntaxError(text) else { return }
        #expect(error.reason.contains(reason), "\(error.reason)")
        #expect(error.byteOffset >= 0 && error.byteOffset <= text.utf8.count)
    }

    @Test("nesting is limited, so hostile input cannot exhaust the stack")
    func nesting() throws {
        let limit = HeaderJSONParser.maximumDepth
        _ = try parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        _ = try parse(String(repeating: "{\"a\":", count: limit) + "1" + String(repeating: "}", count: limit))
        let tooDeep = syntaxError(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1))
        #expect(tooDeep?.reason.contains("nested deeper than \(limit)") == true)
        #expect(tooDeep?.byteOffset == limit)
        let hostile = syntaxError(String(repeating: "[{\"a\":", count: 500_000))
        #expect(hostile?.reason.contains("nested deeper") == true)
    }

    @Test("UTF-8 validation finds the first bad byte")
    func utf8() {
        #expect(SafeTensorsHeader.firstInvalidUTF8Offset(Array("plain ✓".utf8)) == nil)
        #expect(SafeTensorsHeader.firstInvalidUTF8Offset([0x41, 0xC3]) == 1)  // cut-off sequence
        #expect(SafeTensorsHeader.firstInvalidUTF8Offset([0x41, 0x42, 0xC0, 0x80]) == 2)  // overlong
        #expect(SafeTensorsHeader.firstInvalidUTF8Offset([0xED, 0xA0, 0x80]) == 0)  // encoded surrogate
    }
}
