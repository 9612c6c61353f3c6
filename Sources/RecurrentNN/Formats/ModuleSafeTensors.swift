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
    /// - Throws: `SafeTensorsError` for a malformed file; `StateDictError` for a missing, unexpected or
    ///   mis-shaped key.
    public func loadSafeTensors(from url: URL, strict: Bool = true) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        try load(stateDict: try file.floatTensors(), strict: strict)
    }

    /// Saves the parameters to a safetensors file with PyTorch's keys, atomically (temporary file + rename).
    ///
    /// - Parameters:
    ///   - format: `.f32` (exact) or `.f16` (half the size).
    ///   - metadata: stored under `__metadata__`.
    public func saveSafeTensors(to url: URL, format: SafeTensorsWriter.FloatFormat = .f32, metadata: [String: String] = [:]) throws {
        try SafeTensorsWriter.write(stateDict(), metadata: metadata, format: format, to: url)
    }
}
