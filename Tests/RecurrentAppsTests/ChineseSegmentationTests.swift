import Foundation
import Testing
import RecurrentApps
import TestSupport

@Suite struct ChineseSegmentationTests {
    @Test func charactersGetBIESTagsAndJoinBack() {
        let words = ["我", "吃", "西瓜", "巧克力"]
        let (characters, tags) = ChineseSegmentation.characterTags(words: words)
        #expect(characters == ["我", "吃", "西", "瓜", "巧", "克", "力"])
        #expect(tags == ["S", "S", "B", "E", "B", "I", "E"])
        #expect(ChineseSegmentation.words(characters: characters, tags: tags) == words)
    }

    @Test func anyTagSequenceGivesASegmentationOfAllCharacters() {
        let characters = ["一", "二", "三", "四", "五"]
        // I at the start, B after B, I after S: still every character, in order.
        let words = ChineseSegmentation.words(characters: characters, tags: ["I", "B", "B", "S", "I"])
        #expect(words == ["一", "二", "三", "四", "五"])
        #expect(ChineseSegmentation.words(characters: characters, tags: ["B", "I", "I", "I", "E"]) == ["一二三四五"])
    }

    @Test func wordF1CountsExactSpans() {
        let gold = [["我", "吃", "西瓜"]], predicted = [["我吃", "西瓜"]]
        let score = ChineseSegmentation.score(gold: gold, predicted: predicted)
        #expect(abs(score.precision - 0.5) < 1e-12 && abs(score.recall - 1.0 / 3) < 1e-12)
        #expect(abs(score.f1 - 0.4) < 1e-12)
    }

    @Test func trainingDataIsCharacterCoNLLU() {
        let text = ChineseSegmentation.trainingData(from: [TaggedSentence(words: ["看似", "簡單"])])
        #expect(text == "1\t看\t_\tB\t_\t_\t_\t_\t_\t_\n2\t似\t_\tE\t_\t_\t_\t_\t_\t_\n3\t簡\t_\tB\t_\t_\t_\t_\t_\t_\n4\t單\t_\tE\t_\t_\t_\t_\t_\t_\n\n")
    }

    @Test func onlyUnspacedChineseSentencesAreSegmented() throws {
        var asked = 0
        let sentences = [["I", "saw"], ["我", "吃", "瓜"], ["瓜"], ["hello"]]
        let same = try TaggerCommandSupport.segmentingUnspacedChinese(sentences) { asked += 1; throw TaggerError.emptyInput }
        #expect(same == sentences && asked == 0)
    }

    /// The shipped segmenter splits the brief's sentence written without spaces, and `recurrent tag` then
    /// tags it as the spaced form.
    @Test func shippedSegmenterSplitsTheBriefsSentence() throws {
        let segmenter = try ShippedTaggers.loadSegmenter()
        #expect(try ChineseSegmentation.segment("我吃瓜", with: segmenter) == ["我", "吃", "瓜"])
        let output = try TaggerCommandSupport.run(modelPath: nil, language: "zh", arguments: ["我吃瓜"], format: .slash,
                                                  readStandardInput: { nil })
        #expect(output == "我/PRON 吃/VERB 瓜/NOUN\n")
    }

    /// On GSD v1.4's test set (gold sentences, spaces removed) the shipped segmenter's word F1 stays above a floor.
    @Test func shippedSegmenterScoresOnTheTestSet() throws {
        guard let url = SharedData.require("data/ud_zh_gsd/v1.4/zh-ud-test.conllu") else { return }
        let segmenter = try ShippedTaggers.loadSegmenter()
        let gold = try TaggedSentence.read(contentsOf: url, column: .upos).map(\.words)
        let characters = gold.map { ChineseSegmentation.characterTags(words: $0).characters }
        let tags = try segmenter.tag(characters)
        let predicted = zip(characters, tags).map { ChineseSegmentation.words(characters: $0, tags: $1) }
        let score = ChineseSegmentation.score(gold: gold, predicted: predicted)
        #expect(score.f1 > 0.91, "word F1 \(score.f1)")
    }
}
