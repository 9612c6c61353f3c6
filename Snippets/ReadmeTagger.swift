import Foundation
import Recurrent

let tagger = try ShippedTaggers.load(language: "en")            // or Tagger.load(from: folder)
print(try tagger.tag(["I", "saw", "her", "duck"]))               // ["PRON", "VERB", "PRON", "NOUN"]
let testFile = URL(fileURLWithPath: "../shared/data/ud_en_ewt/en_ewt-ud-test.conllu")
let score = try tagger.evaluate(TaggedSentence.read(contentsOf: testFile, column: .upos))
print(score.report())                                            // accuracy, per-tag P/R/F1, confusions
