import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// The Rust workspace (Cargo.toml, bindings/, uniffi-bindgen/) is the repository root above android/.
val rustRoot: File = rootDir.parentFile
// Cargo builds into $CARGO_TARGET_DIR when it is set (scripts/env.sh sets ~/.cache/heirloom/target).
val cargoTarget: File = providers.environmentVariable("CARGO_TARGET_DIR").map { File(it) }
    .getOrElse(File(rustRoot, "target"))
// Android Studio does not start Gradle from a login shell, so ~/.cargo/bin may be missing from PATH.
val cargoBin: File = File(
    providers.environmentVariable("CARGO_HOME").getOrElse("${System.getProperty("user.home")}/.cargo"),
    "bin",
)
val toolPath: String = listOf(cargoBin.path, providers.environmentVariable("PATH").getOrElse(""))
    .joinToString(File.pathSeparator)

// Host files uniffi-bindgen reads: the host debug library keeps the UniFFI metadata symbols that
// the stripped Android release libraries lose, and its API is the same (same source, same checksums).
val hostOs: String = System.getProperty("os.name")
val hostLibrary = File(
    cargoTarget,
    "debug/" + when {
        hostOs.startsWith("Windows") -> "heirloom.dll"
        hostOs.startsWith("Mac") -> "libheirloom.dylib"
        else -> "libheirloom.so"
    },
)
val bindgen = File(cargoTarget, "debug/uniffi-bindgen" + if (hostOs.startsWith("Windows")) ".exe" else "")

val jniLibsDir: File = file("src/main/jniLibs")
val uniffiDir: File = layout.buildDirectory.dir("generated/uniffi/kotlin").get().asFile
// -Pheirloom.skipRust=true: build only the Kotlin, against jniLibs and bindings made by hand.
val skipRust: Boolean = providers.gradleProperty("heirloom.skipRust").map { it.toBoolean() }.getOrElse(false)
// The ABIs cargo-ndk builds; abiFilters below keeps JNA's native library to the same set.
val abis = listOf("arm64-v8a", "x86_64")

android {
    namespace = "app.heirloom.shell"
    compileSdk = 35
    // NDK r28 or newer links 64-bit libraries with 16 KB page alignment (Android 15+ devices).
    ndkVersion = "28.0.13004108"

    defaultConfig {
        applicationId = "app.heirloom.shell"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += abis }
    }

    buildTypes {
        release {
            // R8 would strip the JNA structures and callbacks the bindings reach by reflection;
            // shrinking needs keep rules first (not written yet).
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // The generated bindings (package app.heirloom.core). The Kotlin plugin compiles .kt files
    // found in Java source directories.
    sourceSets["main"].java.srcDir(uniffiDir)
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

dependencies {
    // The @aar carries JNA's libjnidispatch.so for the Android ABIs; the plain jar has desktop ones only.
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
    // Dispatchers.Main for the activity.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    // Background federated-learning rounds (TrainingWorker): charging, idle and network constraints.
    implementation("androidx.work:work-runtime-ktx:2.9.1")
}

// 1. libheirloom.so for each ABI, into src/main/jniLibs/<abi>/ where AGP packages it.
val cargoNdk by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds libheirloom.so for Android with cargo-ndk (release profile)."
    val ndkDir = androidComponents.sdkComponents.ndkDirectory
    val cargoFiles = listOf("Cargo.toml", "core/Cargo.toml", "bindings/Cargo.toml").map { File(rustRoot, it) }
    workingDir(rustRoot)
    environment("PATH", toolPath)
    commandLine(
        listOf("cargo", "ndk", "--platform", "26") + abis.flatMap { listOf("-t", it) } +
            listOf("-o", jniLibsDir.path, "build", "--release", "-p", "heirloom-ffi"),
    )
    doFirst {
        // SQLCipher links a libcrypto, and Android has none to link against: OpenSSL has to be
        // vendored. Fail here with a pointer rather than with a linker error about -lcrypto.
        check(cargoFiles.any { "bundled-sqlcipher-vendored-openssl" in it.readText() }) {
            "Android builds need rusqlite's bundled-sqlcipher-vendored-openssl feature: see android/README.md"
        }
        (this as Exec).environment("ANDROID_NDK_HOME", ndkDir.get().asFile.path)
    }
}

// 2. The host library and the workspace's pinned uniffi-bindgen (same UniFFI version as the library).
val cargoHost by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds the host libheirloom and the pinned uniffi-bindgen."
    workingDir(rustRoot)
    environment("PATH", toolPath)
    commandLine("cargo", "build", "-p", "heirloom-ffi", "-p", "uniffi-bindgen")
}

// 3. The Kotlin bindings, into build/generated/uniffi/kotlin (never edited, never committed).
val generateUniffi by tasks.registering(Exec::class) {
    group = "rust"
    description = "Generates the Kotlin bindings from the host library."
    dependsOn(cargoHost)
    // From the workspace: bindgen finds bindings/uniffi.toml (package, library name) through cargo metadata.
    workingDir(rustRoot)
    environment("PATH", toolPath)
    inputs.file(hostLibrary)
    inputs.file(bindgen)
    outputs.dir(uniffiDir)
    commandLine(
        bindgen.path, "generate", "--no-format", "--library", hostLibrary.path,
        "--language", "kotlin", "--out-dir", uniffiDir.path,
    )
}

tasks.named("preBuild") {
    if (!skipRust) dependsOn(cargoNdk, generateUniffi)
}
