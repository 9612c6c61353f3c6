// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the readers of untrusted files (see README.md here; run them with scripts/fuzz.sh).
//
// Each target is a library-style executable: `-parse-as-library` suppresses Swift's `main`, so libFuzzer's
// `main` (linked by `swift build --sanitize=fuzzer`) drives `LLVMFuzzerTestOneInput`. Internal parsers are
// reached with `@testable import`, which works because these targets are built in debug (testability on).
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "RecurrentFuzz",
    dependencies: [.package(name: "Recurrent", path: "..")],
    targets: [
        .executableTarget(name: "SafeTensorsFuzz", dependencies: [.product(name: "Recurrent", package: "Recurrent")],
                          path: "Targets/SafeTensorsFuzz", swiftSettings: fuzzTarget),
        .executableTarget(name: "HeaderJSONFuzz", dependencies: [.product(name: "Recurrent", package: "Recurrent")],
                          path: "Targets/HeaderJSONFuzz", swiftSettings: fuzzTarget),
        .executableTarget(name: "CoNLLUFuzz", dependencies: [.product(name: "Recurrent", package: "Recurrent")],
                          path: "Targets/CoNLLUFuzz", swiftSettings: fuzzTarget),
        .executableTarget(name: "CMUDictFuzz", dependencies: [.product(name: "Recurrent", package: "Recurrent")],
                          path: "Targets/CMUDictFuzz", swiftSettings: fuzzTarget),
        .executableTarget(name: "ModelFolderFuzz", dependencies: [.product(name: "Recurrent", package: "Recurrent")],
                          path: "Targets/ModelFolderFuzz", swiftSettings: fuzzTarget),
    ],
    swiftLanguageModes: [.v5]  // as the main package
)
