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

/// The open Heirloom and the memories shown.
@MainActor
final class MemoriesModel: ObservableObject {
    @Published private(set) var memories: [Memory] = []
    @Published private(set) var problem: String?
    private var heirloom: Heirloom?

    init() {
        do {
            let dir = try FileManager.default
                .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
                .appendingPathComponent("Heirloom", isDirectory: true)
            #if canImport(Security)
            let keys: KeyStore = KeychainKeyStore(service: "app.heirloom")
            #else
            let keys = fileKeyStore(path: dir.appendingPathComponent("keys").path)
            #endif
            heirloom = try Heirloom.open(dataDir: dir.path, keyStore: keys)
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
                    Text(memory.title)
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

@main
struct HeirloomApp: App {
    @StateObject private var model = MemoriesModel()

    var body: some Scene {
        WindowGroup {
            MemoriesView(model: model)
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
