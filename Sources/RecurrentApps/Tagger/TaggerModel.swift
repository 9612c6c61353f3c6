import RecurrentCore
import RecurrentData
import RecurrentNN

/// The tagging network: word embedding ⊕ character-BiLSTM word vector → dropout → multi-layer BiLSTM →
/// dropout → linear scores per tag.
///
/// Keys (PyTorch `state_dict` style): `word_embedding.weight` `[words, wordDimension]`,
/// `char_embedding.weight` `[characters, characterDimension]`, `char_lstm.weight_ih_l0` … (one bidirectional
/// layer), `lstm.weight_ih_l0` … (`layerCount` bidirectional layers), `output.weight` `[tags, 2·hidden]`,
/// `output.bias` `[tags]`; with a CRF also `crf.transitions` `[tags, tags]`, `crf.start_transitions` and
/// `crf.end_transitions` `[tags]`.
///
/// A word's character vector is the character BiLSTM's final forward state joined with its final backward
/// state (the backward direction's state after reading the first character).
public final class TaggerModel: Module {
    /// The sizes.
    public let architecture: TaggerArchitecture
    /// `[words, wordDimension]`.
    public let wordEmbedding: Parameter
    /// `[characters, characterDimension]`.
    public let characterEmbedding: Parameter
    /// One bidirectional layer over each word's characters.
    public let characterLSTM: LSTM
    /// The sentence BiLSTM.
    public let lstm: LSTM
    /// `[tags, 2·hidden]`.
    public let outputWeight: Parameter
    /// `[tags]`.
    public let outputBias: Parameter
    /// CRF transition scores `[tags, tags]` (from, to), when the architecture has a CRF.
    public let transitions: Parameter?
    /// CRF scores of the first tag `[tags]`.
    public let startTransitions: Parameter?
    /// CRF scores of the last tag `[tags]`.
    public let endTransitions: Parameter?
    /// The generator of the dropout masks on the BiLSTM's input and output.
    public var dropoutGenerator: Xoshiro256StarStar

    /// Whether dropout is active (training); false for evaluation and prediction.
    public var isTraining = true {
        didSet { lstm.isTraining = isTraining; characterLSTM.isTraining = isTraining }
    }

    /// The number of tags the output layer scores.
    public var tagCount: Int { outputBias.shape[0] }

    /// Makes a network with PyTorch's default initialization (embeddings N(0, 1) with a zero `<pad>` row;
    /// LSTM and linear weights U(−1/√fan, 1/√fan)).
    ///
    /// - Parameters:
    ///   - architecture: the sizes.
    ///   - wordCount: word ids.
    ///   - characterCount: character ids.
    ///   - tagCount: tags.
    ///   - seed: seeds every initial value and the dropout generators.
    public init(architecture: TaggerArchitecture, wordCount: Int, characterCount: Int, tagCount: Int, seed: UInt64 = 1) {
        precondition(wordCount > 0 && characterCount > 0 && tagCount > 0, "TaggerModel: vocabularies must not be empty")
        self.architecture = architecture
        var rng = Xoshiro256StarStar(seed: seed)
        func embedding(_ rows: Int, _ columns: Int) -> Tensor {
            var table = Tensor.normal([rows, columns], using: &rng)
            table.updateScalars { values in for j in 0..<columns { values[j] = 0 } }   // <pad>
            return table
        }
        wordEmbedding = Parameter(embedding(wordCount, architecture.wordDimension))
        characterEmbedding = Parameter(embedding(characterCount, architecture.characterDimension))
        characterLSTM = LSTM(inputSize: architecture.characterDimension, hiddenSize: architecture.characterHidden,
                             batchFirst: true, bidirectional: true, seed: seed &+ 11)
        lstm = LSTM(inputSize: architecture.wordDimension + 2 * architecture.characterHidden, hiddenSize: architecture.hidden,
                    layerCount: architecture.layerCount, batchFirst: true, dropout: architecture.dropout,
                    bidirectional: true, seed: seed &+ 23)
        let bound = 1 / Float(2 * architecture.hidden).squareRoot()
        outputWeight = Parameter(Tensor.uniform([tagCount, 2 * architecture.hidden], low: -bound, high: bound, using: &rng))
        outputBias = Parameter(Tensor.uniform([tagCount], low: -bound, high: bound, using: &rng))
        if architecture.crf {
            transitions = Parameter(Tensor.uniform([tagCount, tagCount], low: -0.1, high: 0.1, using: &rng))
            startTransitions = Parameter(Tensor.uniform([tagCount], low: -0.1, high: 0.1, using: &rng))
            endTransitions = Parameter(Tensor.uniform([tagCount], low: -0.1, high: 0.1, using: &rng))
        } else {
            transitions = nil
            startTransitions = nil
            endTransitions = nil
        }
        dropoutGenerator = Xoshiro256StarStar(seed: seed &+ 37)
    }

    public var namedParameters: [(key: String, parameter: Parameter)] {
        [("word_embedding.weight", wordEmbedding), ("char_embedding.weight", characterEmbedding)]
            + prefixed("char_lstm", characterLSTM) + prefixed("lstm", lstm)
            + [("output.weight", outputWeight), ("output.bias", outputBias)]
            + (transitions.map { [("crf.transitions", $0), ("crf.start_transitions", startTransitions!),
                                  ("crf.end_transitions", endTransitions!)] } ?? [])
    }

    /// The character vectors of a batch's distinct words plus a zero row for padding:
    /// `[distinctWords + 1, 2·characterHidden]`.
    func characterVectors(_ batch: TaggerBatch) throws -> Tensor {
        let width = 2 * architecture.characterHidden
        var parts: [Tensor] = []
        parts.reserveCapacity(batch.characterGroups.count + 1)
        for group in batch.characterGroups {
            let embedded = Tensor.embedding(characterEmbedding.value, ids: group.ids)          // [U, L, cd]
            let hidden = try characterLSTM(embedded, lengths: group.lengths).hidden            // [2, U, ch]
            parts.append(hidden.permuted([1, 0, 2]).reshaped([group.lengths.count, width])) // [U, 2·ch]
        }
        parts.append(Tensor.zeros([1, width]))
        return Tensor.concatenate(parts, axis: 0)
    }

    /// What the sentence BiLSTM reads at each word: its word embedding joined with its character vector.
    /// - Returns: `[B, T, wordDimension + 2·characterHidden]`.
    public func sentenceLSTMInput(_ batch: TaggerBatch) throws -> Tensor {
        let (B, T) = (batch.batchSize, batch.steps)
        let words = Tensor.embedding(wordEmbedding.value, ids: batch.wordIDs)                          // [B, T, wd]
        let characters = try characterVectors(batch)
            .indexSelected(axis: 0, indices: batch.distinctIndex)
            .reshaped([B, T, 2 * architecture.characterHidden])                                         // [B, T, 2·ch]
        return Tensor.concatenate([words, characters], axis: 2)
    }

    /// Tag scores for a batch.
    /// - Returns: `[B, T, tags]` (rows past a sentence's length are the output bias only).
    /// - Throws: `RecurrentInputError` for malformed batches (not expected from `TaggerBatch`).
    public func logits(_ batch: TaggerBatch) throws -> Tensor {
        var x = try sentenceLSTMInput(batch)
        x = x.dropout(probability: architecture.dropout, training: isTraining, using: &dropoutGenerator)
        var h = try lstm(x, lengths: batch.lengths).output                                              // [B, T, 2·h]
        h = h.dropout(probability: architecture.dropout, training: isTraining, using: &dropoutGenerator)
        return h.linear(weight: outputWeight.value, bias: outputBias.value)
    }

    /// The training loss per real word: the mean cross-entropy of the targets, or with a CRF the summed
    /// negative log-likelihood of the sentences' tag sequences divided by the number of words.
    /// - Precondition: with a CRF, every real word has a target.
    public func loss(_ batch: TaggerBatch) throws -> Tensor {
        let scores = try logits(batch)
        guard let transitions, let startTransitions, let endTransitions else {
            return scores.taggerCrossEntropy(targets: batch.targets)
        }
        return TaggerCRF.negativeLogLikelihood(emissions: scores, transitions: transitions.value, start: startTransitions.value,
                                               end: endTransitions.value, lengths: batch.lengths, targets: batch.targets,
                                               normalizer: batch.tokenCount)
    }

    /// The best tag id of every real word, without recording gradients and without dropout.
    /// - Returns: `[B][length]`.
    public func predict(_ batch: TaggerBatch) throws -> [[Int]] {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        let scores = try withoutGradients { try logits(batch) }
        let C = tagCount, T = batch.steps
        if let transitions, let startTransitions, let endTransitions {
            return TaggerCRF.viterbi(emissions: scores.scalars, steps: T, tags: C, transitions: transitions.value.scalars,
                                     start: startTransitions.value.scalars, end: endTransitions.value.scalars, lengths: batch.lengths)
        }
        return scores.scalars.withUnsafeBufferPointer { s in
            batch.lengths.enumerated().map { b, length in
                (0..<length).map { t in
                    let base = (b * T + t) * C
                    var best = 0
                    for k in 1..<C where s[base + k] > s[base + best] { best = k }
                    return best
                }
            }
        }
    }
}
