// swift-tools-version:6.0
import PackageDescription

// Layering (a lower module never imports a higher one):
//   RecurrentKernels  BLAS found at run time, portable SIMD GEMM, parallel loops, elementwise math
//                     (CRecurrentKernels: its AVX2+FMA micro-kernel in C)
//   RecurrentCore     Tensor, shapes, ops, reverse-mode autodiff, random numbers
//   RecurrentData     safetensors and other file formats
//   RecurrentNN       modules and parameters, recurrent layers and cells (fused kernels)
//   RecurrentApps     applications built from the layers: the part-of-speech tagger
//   Recurrent         umbrella: re-exports the modules above
//   RecurrentServer   the HTTP model server (Hummingbird, Prometheus): its own target, so the library
//                     above never depends on a web stack
//   recurrent         the command-line tool
let package = Package(
    name: "Recurrent",
    products: [
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .executable(name: "recurrent", targets: ["recurrent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // C micro-kernels compiled per function for AVX2+FMA and picked at run time (no unsafe flags).
        .target(name: "CRecurrentKernels"),
        .target(name: "RecurrentKernels", dependencies: ["CRecurrentKernels"], linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "RecurrentCore", dependencies: ["RecurrentKernels", "CRecurrentKernels"]),
        .target(name: "RecurrentData", dependencies: ["RecurrentCore"]),
        .target(name: "RecurrentNN", dependencies: ["CRecurrentKernels", "RecurrentKernels", "RecurrentCore", "RecurrentData"]),
        .target(name: "RecurrentApps", dependencies: ["RecurrentCore", "RecurrentNN", "RecurrentData"]),
        .target(name: "Recurrent", dependencies: ["RecurrentKernels", "RecurrentCore", "RecurrentData", "RecurrentNN", "RecurrentApps"]),
        // An example to copy: English/French language identification with the public API (Examples/LanguageID).
        .executableTarget(name: "language-id", dependencies: ["Recurrent"], path: "Examples/LanguageID"),
        .target(name: "RecurrentServer", dependencies: [
            "RecurrentApps", "RecurrentNN", "RecurrentData", "RecurrentKernels",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(
            name: "recurrent",
            dependencies: ["Recurrent", "RecurrentServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["RecurrentCore"], path: "Tests/TestSupport"),
        .testTarget(name: "RecurrentKernelsTests", dependencies: ["RecurrentKernels", "TestSupport"]),
        .testTarget(name: "RecurrentCoreTests", dependencies: ["RecurrentCore", "TestSupport"]),
        .testTarget(name: "RecurrentDataTests", dependencies: ["RecurrentData", "TestSupport"]),
        .testTarget(name: "RecurrentNNTests", dependencies: ["RecurrentNN", "TestSupport"], exclude: ["Golden"]),  // PyTorch-made cases, read by path
        .testTarget(name: "RecurrentAppsTests", dependencies: ["RecurrentApps", "TestSupport"]),
        // Runs the built `recurrent` executable: exit codes and messages of the command line.
        .testTarget(name: "RecurrentCLITests", dependencies: ["Recurrent", "TestSupport"]),
        .testTarget(name: "RecurrentServerTests", dependencies: [
            "RecurrentServer", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
