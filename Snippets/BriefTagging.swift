// 6. The running example: part-of-speech tags for 我 吃 瓜, with the shipped Chinese tagger.
import Recurrent

let tagger = try ShippedTaggers.load(language: "zh")
let words = ["我", "吃", "瓜"]
print(zip(words, try tagger.tag(words)).map { "\($0)/\($1)" }.joined(separator: " "))
