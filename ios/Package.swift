// swift-tools-version:5.10
// The Heirloom Swift package: the UniFFI-generated bindings (Sources/Heirloom, generated), the C
// interface of libheirloom (Sources/HeirloomFFI), an XCTest suite and a small SwiftUI shell.
// Build the Rust library and generate the bindings first: see README.md.

import PackageDescription

// Where libheirloom (.dylib on macOS, .so on Linux) was built; HEIRLOOM_LIB_DIR overrides.
let libDir = Context.environment["HEIRLOOM_LIB_DIR"] ?? "\(Context.packageDirectory)/../target/debug"

let package = Package(
    name: "Heirloom",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Heirloom", targets: ["Heirloom"]),
        .executable(name: "HeirloomApp", targets: ["HeirloomApp"]),
    ],
    targets: [
        // module.modulemap is hand-written; HeirloomFFI.h is generated next to it.
        .systemLibrary(name: "HeirloomFFI", path: "Sources/HeirloomFFI"),
        .target(
            name: "Heirloom",
            dependencies: ["HeirloomFFI"],
            path: "Sources/Heirloom",
            linkerSettings: [
                .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
            ]
        ),
        .executableTarget(name: "HeirloomApp", dependencies: ["Heirloom"], path: "App"),
        .testTarget(name: "HeirloomTests", dependencies: ["Heirloom"], path: "Tests/HeirloomTests"),
    ]
)
