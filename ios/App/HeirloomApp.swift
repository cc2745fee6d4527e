// A tiny SwiftUI shell over the Heirloom bindings: opens the owner's data directory with a key
// kept in the Keychain, lists the memories and adds typed ones. Not the real app: a smoke test
// that the generated API is usable from SwiftUI (`swift run HeirloomApp` on a Mac).

import Foundation
import Heirloom

#if canImport(SwiftUI)
import SwiftUI

#if canImport(Security)
import Security

/// Keeps Heirloom's keys in the Keychain, this device only.
final class KeychainKeyStore: KeyStore {
    private let service: String

    init(service: String) {
        self.service = service
    }

    /// The Keychain attributes naming the item that holds `name`.
    private func item(named name: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: name,
        ]
    }

    func load(name: String) throws -> Data? {
        var query = item(named: name)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        switch status {
        case errSecSuccess: return result as? Data
        case errSecItemNotFound: return nil
        default: throw ApiError.KeyStore(reason: "keychain read failed (\(status))")
        }
    }

    func store(name: String, secret: Data) throws {
        SecItemDelete(item(named: name) as CFDictionary)
        var attributes = item(named: name)
        attributes[kSecValueData as String] = secret
        attributes[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(attributes as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw ApiError.KeyStore(reason: "keychain write failed (\(status))")
        }
    }
}
#endif

/// Opens the owner's store: Application Support/Heirloom, its key in the Keychain. The
/// background training task opens its own handle the same way.
func openOwnerStore() throws -> Heirloom {
    let dir = try FileManager.default
        .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        .appendingPathComponent("Heirloom", isDirectory: true)
    #if canImport(Security)
    let keys: KeyStore = KeychainKeyStore(service: "app.heirloom")
    #else
    let keys = fileKeyStore(path: dir.appendingPathComponent("keys").path)
    #endif
    return try Heirloom.open(dataDir: dir.path, keyStore: keys)
}

/// The open Heirloom and the memories shown.
@MainActor
final class MemoriesModel: ObservableObject {
    @Published private(set) var memories: [Memory] = []
    @Published private(set) var problem: String?
    private var heirloom: Heirloom?

    init() {
        do {
            heirloom = try openOwnerStore()
            reload()
        } catch {
            problem = "Could not open Heirloom: \(error)"
        }
    }

    func reload() {
        guard let heirloom else { return }
        do {
            memories = try heirloom.memories().list(offset: 0, limit: 200)
        } catch {
            problem = "\(error)"
        }
    }

    /// The handle, for the screens that need more than the list.
    var handle: Heirloom? { heirloom }

    func addText(title: String, text: String) {
        guard let heirloom else { return }
        do {
            _ = try heirloom.memories().addText(title: title, text: text, aboutWhen: nil)
            reload()
        } catch {
            problem = "\(error)"
        }
    }
}

struct MemoriesView: View {
    @ObservedObject var model: MemoriesModel
    @State private var title = ""
    @State private var text = ""

    private var canAdd: Bool {
        !title.trimmingCharacters(in: .whitespaces).isEmpty && !text.trimmingCharacters(in: .whitespaces).isEmpty
    }

    var body: some View {
        List {
            Section("New memory") {
                TextField("Title", text: $title)
                TextField("What do you remember?", text: $text)
                Button("Add") {
                    model.addText(title: title, text: text)
                    title = ""
                    text = ""
                }
                .disabled(!canAdd)
            }
            Section("Memories (\(model.memories.count))") {
                ForEach(model.memories, id: \.id) { memory in
                    if let heirloom = model.handle {
                        NavigationLink(memory.title) {
                            MemoryVideoView(video: MemoryVideoModel(heirloom: heirloom, memoryId: memory.id))
                        }
                    } else {
                        Text(memory.title)
                    }
                }
            }
            if let heirloom = model.handle {
                Section("Family") {
                    NavigationLink("Family circle") {
                        FamilyView(family: FamilyModel(heirloom: heirloom))
                    }
                }
            }
            if let problem = model.problem {
                Section("Problem") {
                    Text(problem).foregroundColor(.red)
                }
            }
        }
    }
}

/// Renders a memory's video off the main thread, with progress and cancel. The software
/// encoders run here; an app build would pass VideoToolbox/AudioToolbox encoders
/// (`PlatformVideoEncoder` / `PlatformAudioEncoder`).
@MainActor
final class MemoryVideoModel: ObservableObject, @unchecked Sendable {
    @Published private(set) var fraction: Double = 0
    @Published private(set) var rendering = false
    @Published private(set) var result: String?
    let heirloom: Heirloom
    let memoryId: Int64
    private var cancel = CancelHandle()

    init(heirloom: Heirloom, memoryId: Int64) {
        self.heirloom = heirloom
        self.memoryId = memoryId
    }

    final class Progress: RenderListener, @unchecked Sendable {
        let report: @Sendable (Double) -> Void
        init(report: @escaping @Sendable (Double) -> Void) { self.report = report }
        func onProgress(framesDone: UInt64, framesTotal: UInt64) {
            report(framesTotal == 0 ? 0 : Double(framesDone) / Double(framesTotal))
        }
    }

    func render() {
        rendering = true
        result = nil
        cancel = CancelHandle()
        let (heirloom, memoryId, cancel) = (heirloom, memoryId, cancel)
        let listener = Progress { value in
            Task { @MainActor [weak self] in self?.fraction = value }
        }
        Task.detached {
            let outcome: String
            do {
                let fonts = Bundle.main.resourcePath ?? ""
                try? heirloom.videos().useFonts(modelsDir: fonts)
                let video = try heirloom.videos().render(
                    memoryId: memoryId,
                    request: RenderRequest(outputPath: nil, keep: true),
                    videoEncoder: nil,
                    audioEncoder: nil,
                    listener: listener,
                    cancel: cancel
                )
                outcome = "Video ready: \(video.durationMs / 1000) s, \(video.bytes / 1_000_000) MB"
            } catch ApiError.Cancelled {
                outcome = "Stopped."
            } catch {
                outcome = "Could not make the video: \(error)"
            }
            await MainActor.run { [weak self] in
                self?.rendering = false
                self?.result = outcome
            }
        }
    }

    func stop() {
        cancel.cancel()
    }
}

struct MemoryVideoView: View {
    @ObservedObject var video: MemoryVideoModel

    var body: some View {
        List {
            Section("Memory video") {
                if video.rendering {
                    ProgressView(value: video.fraction)
                    Button("Stop", role: .cancel) { video.stop() }
                } else {
                    Button("Make a video of this memory") { video.render() }
                }
                if let result = video.result {
                    Text(result)
                }
            }
        }
    }
}

/// The family circle: this device's invite, and adding someone else's.
@MainActor
final class FamilyModel: ObservableObject {
    @Published private(set) var members: [FamilyMember] = []
    @Published private(set) var invite = ""
    @Published private(set) var problem: String?
    let heirloom: Heirloom

    init(heirloom: Heirloom) {
        self.heirloom = heirloom
        reload()
    }

    func reload() {
        do {
            invite = try heirloom.family().invite(name: "Me", role: .family)
            members = try heirloom.family().members()
        } catch {
            problem = "\(error)"
        }
    }

    func add(code: String) {
        do {
            _ = try heirloom.family().add(invite: code)
            reload()
        } catch {
            problem = "That invite did not check out: \(error)"
        }
    }
}

struct FamilyView: View {
    @ObservedObject var family: FamilyModel
    @State private var code = ""

    var body: some View {
        List {
            Section("Your invite") {
                Text(family.invite).font(.system(.footnote, design: .monospaced)).textSelection(.enabled)
            }
            Section("Add someone") {
                TextField("HLINVITE1…", text: $code)
                Button("Add") {
                    family.add(code: code)
                    code = ""
                }
                .disabled(code.isEmpty)
            }
            Section("Members (\(family.members.count))") {
                ForEach(family.members, id: \.id) { member in
                    Text(member.removedAtMs == nil ? member.name : "\(member.name) (removed)")
                }
            }
            if let problem = family.problem {
                Section("Problem") {
                    Text(problem).foregroundColor(.red)
                }
            }
        }
    }
}

@main
struct HeirloomApp: App {
    @StateObject private var model = MemoriesModel()

    init() {
        #if canImport(BackgroundTasks) && os(iOS)
        // Federated learning waits for idle, power and a network, and for the owner's consent.
        BackgroundTraining.register(open: openOwnerStore)
        BackgroundTraining.schedule()
        #endif
    }

    var body: some Scene {
        WindowGroup {
            NavigationStack {
                MemoriesView(model: model)
            }
        }
    }
}

#else

/// Without SwiftUI (Linux), the shell only says so; the library and tests still build.
@main
enum HeirloomApp {
    static func main() {
        print("The Heirloom app shell needs SwiftUI (macOS or iOS).")
    }
}

#endif
