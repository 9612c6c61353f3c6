import Foundation
import RecurrentCore
import RecurrentData

extension Module {
    /// Loads parameters from a safetensors file whose keys are PyTorch `state_dict()` keys (for example
    /// written by `safetensors.torch.save_file(model.state_dict(), path)`).
    ///
    /// - Parameters:
    ///   - url: the file.
    ///   - strict: see `load(stateDict:strict:)`.
    /// - Throws: `SafeTensorsError` for a malformed file (an I8 matrix without its row scales too);
    ///   `StateDictError` for a missing, unexpected or mis-shaped key, or a weight that is not finite.
    ///   Nothing is loaded then.
    public func loadSafeTensors(from url: URL, strict: Bool = true) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        let tensors = try file.floatTensors()
        try StateDictError.checkFinite(tensors)
        try load(stateDict: tensors, strict: strict)
    }

    /// Saves the parameters to a safetensors file with PyTorch's keys, atomically (temporary file + rename).
    /// A parameter with a non-finite value is an error and nothing is written: a diverged model is never saved.
    ///
    /// - Parameters:
    ///   - format: `.f32` (exact), `.f16` (half the size; a value beyond ±65504 is an error) or `.int8Rows`.
    ///   - metadata: stored under `__metadata__`.
    /// - Throws: `StateDictError.nonFinite`, `SafeTensorsError`.
    public func saveSafeTensors(to url: URL, format: SafeTensorsWriter.FloatFormat = .f32, metadata: [String: String] = [:]) throws {
        let tensors = stateDict()
        try StateDictError.checkFinite(tensors)
        try SafeTensorsWriter.write(tensors, metadata: metadata, format: format, to: url)
    }
}
