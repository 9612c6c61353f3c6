import Foundation
import RecurrentData
import RecurrentNN

extension ModelFolderReader {
    /// The part G2P and translation model folders share: checks the network configuration against its two
    /// vocabularies (sizes, the start and end tokens' ids) and `Limits`, then builds the network and loads
    /// `model.safetensors` into it, strictly (every weight present, finite and of its shape).
    ///
    /// - Throws: `ReadError` naming `config.json` or `model.safetensors` and what is wrong.
    func seq2seq(_ configuration: Seq2SeqConfiguration, source: (name: String, vocabulary: Vocabulary),
                 target: (name: String, vocabulary: Vocabulary), startToken: String, endToken: String) throws(ReadError) -> Seq2Seq {
        try checking("config.json") {
            try Check.that(source.vocabulary.count == configuration.sourceVocabularySize, "seq2seq.sourceVocabularySize",
                           "\(configuration.sourceVocabularySize), but \(source.name) has \(source.vocabulary.count) entries")
            try Check.that(target.vocabulary.count == configuration.targetVocabularySize, "seq2seq.targetVocabularySize",
                           "\(configuration.targetVocabularySize), but \(target.name) has \(target.vocabulary.count) entries")
            try Check.that(configuration.startID == target.vocabulary.id(of: startToken), "seq2seq.startID",
                           "\(configuration.startID) is not the id of \(startToken) in \(target.name)")
            try Check.that(configuration.endID == target.vocabulary.id(of: endToken), "seq2seq.endID",
                           "\(configuration.endID) is not the id of \(endToken) in \(target.name)")
            try configuration.validate()
        }
        let network: Seq2Seq
        do { network = try Seq2Seq(configuration: configuration) } catch {
            throw .invalid(path: directory.path, reason: "config.json: \(error)")
        }
        let weights = try file("model.safetensors")
        try checking("model.safetensors") { try network.loadSafeTensors(from: weights) }
        network.isTraining = false
        return network
    }
}
