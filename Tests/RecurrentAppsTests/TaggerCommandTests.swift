import Foundation
import Testing
import RecurrentCore
import RecurrentData
@testable import RecurrentApps
import TestSupport

@Suite struct TaggerCommandTests {
    @Test func sentencesFromArgumentsAndStandardInput() throws {
        #expect(try TaggerCommandSupport.sentences(arguments: ["我", "吃", "瓜"], readStandardInput: { nil }) == [["我", "吃", "瓜"]])
        #expect(try TaggerCommandSupport.sentences(arguments: ["I saw her duck"], readStandardInput: { nil })
                == [["I", "saw", "her", "duck"]])
        var asked = false
        let lines = try TaggerCommandSupport.sentences(arguments: [], readStandardInput: { asked = true; return "a b\n\n  c\td \r\n" })
        #expect(asked && lines == [["a", "b"], ["c", "d"]])
    }

    @Test func emptyInputIsAnError() {
        #expect(throws: TaggerError.emptyInput) { _ = try TaggerCommandSupport.sentences(arguments: [], readStandardInput: { nil }) }
        #expect(throws: TaggerError.emptyInput) { _ = try TaggerCommandSupport.sentences(arguments: [" ", "\n"], readStandardInput: { nil }) }
        #expect(throws: TaggerError.emptyInput) {
            _ = try TaggerCommandSupport.run(modelPath: nil, language: nil, arguments: [], format: .slash, readStandardInput: { "\n\n" })
        }
    }

    @Test func missingOrAmbiguousModelIsAnError() {
        #expect(throws: TaggerError.modelNotFound(path: "/nonexistent/tagger", reason: "no such folder")) {
            _ = try TaggerCommandSupport.run(modelPath: "/nonexistent/tagger", language: nil, arguments: ["a"], format: .slash,
                                             readStandardInput: { nil })
        }
        #expect(throws: TaggerError.self) { _ = try TaggerCommandSupport.loadTagger(modelPath: "x", language: "en") }
        #expect(throws: TaggerError.self) { _ = try TaggerCommandSupport.loadTagger(modelPath: nil, language: "fr") }
        // RECURRENT_MODELS is searched first; the package's own Models/ folder is always searched.
        let folders = ModelLocator.searchFolders(environment: ["RECURRENT_MODELS": "/opt/models"])
        #expect(folders.first?.path == "/opt/models")
        #expect(folders.contains { $0.path == SharedData.packageRoot.appendingPathComponent("Models").standardizedFileURL.path })
    }

    @Test func renderingFormats() {
        #expect(TaggedTextFormat.slash.render(words: ["I", "saw"], tags: ["PRON", "VERB"]) == "I/PRON saw/VERB")
        let conllu = TaggedTextFormat.conllu.render(words: ["I", "saw"], tags: ["PRON", "VERB"])
        #expect(conllu == "# text = I saw\n1\tI\t_\tPRON\t_\t_\t_\t_\t_\t_\n2\tsaw\t_\tVERB\t_\t_\t_\t_\t_\t_\n")
        let xpos = TaggedTextFormat.conllu.render(words: ["I"], tags: ["PRP"], column: .xpos)
        #expect(xpos.contains("1\tI\t_\t_\tPRP\t"))
    }
}

/// The models shipped in Models/.
@Suite struct ShippedTaggerTests {
    @Test func chineseModelTagsTheBriefsExample() throws {
        let tagger = try ShippedTaggers.load(language: "zh")
        #expect(try tagger.tag(["我", "吃", "瓜"]) == ["PRON", "VERB", "NOUN"])
        // The three characters are the same in Simplified and Traditional script. 我 and 吃 are known words; 瓜 never
        // stands alone in GSD v1.4 (only in 瓜分 and 瓜里利亞), and the model maps characters seen fewer than 4 times
        // to <unk>, so it is tagged from its context and the unknown-character path.
        let known = ["我", "吃", "瓜"].map { tagger.vocabularies.words.contains($0) }
        #expect(known == [true, true, false])
        #expect(tagger.vocabularies.characters.encode("瓜") == [1])
        let output = try TaggerCommandSupport.run(modelPath: nil, language: "zh", arguments: ["我", "吃", "瓜"], format: .slash,
                                                  readStandardInput: { nil })
        #expect(output == "我/PRON 吃/VERB 瓜/NOUN\n")
    }

    /// The gates shown on the server's page come from the real model: the last layer's traced hidden states,
    /// scored by the output layer, are the tagger's own scores for the sentence.
    @Test func chineseModelsGateTraceReproducesItsScores() throws {
        let tagger = try ShippedTaggers.load(language: "zh")
        tagger.model.isTraining = false
        let words = ["我", "吃", "瓜"]
        let traces = try tagger.gateTrace(words)
        let architecture = tagger.model.architecture
        #expect(traces.count == architecture.layerCount && traces.allSatisfy { $0.count == 2 })
        #expect(traces[0][0].forget.count == 3 && traces[0][0].forget[0].count == architecture.hidden)
        let hidden = Tensor(shape: [1, 3, 2 * architecture.hidden],
                            scalars: (0..<3).flatMap { t in traces[architecture.layerCount - 1].flatMap { $0.hidden[t] } })
        let traced = hidden.linear(weight: tagger.model.outputWeight.value, bias: tagger.model.outputBias.value)
        let batch = TaggerBatch(tagger.encoder.encode([TaggedSentence(words: words)]))
        let scores = try withoutGradients { try tagger.model.logits(batch) }
        let worst = zip(traced.scalars, scores.scalars).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4, "worst score difference \(worst)")
        #expect(throws: TaggerError.self) { try tagger.gateTrace([]) }
    }

    @Test func englishModelTagsADuck() throws {
        let output = try TaggerCommandSupport.run(modelPath: nil, language: nil, arguments: ["I saw her duck"], format: .slash,
                                                  readStandardInput: { nil })
        #expect(output == "I/PRON saw/VERB her/PRON duck/NOUN\n")
        let tagger = try ShippedTaggers.load(language: "en")
        #expect(try tagger.tag(["The", "dogs", "bark", "."]) == ["DET", "NOUN", "VERB", "PUNCT"])
    }

    @Test func shippedModelsAreSmall() throws {
        var total = 0
        for language in ShippedTaggers.languages {
            let folder = try ShippedTaggers.directory(language: language)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                total += try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.size] as! Int
            }
        }
        #expect(total <= 15_000_000)
    }
}
