// Kiosk mode on a shared care-home iPad: a lock screen (staff and PIN), the resident picker and
// one resident's reminiscence prompts in large type. The app asks for Autonomous Single App Mode
// (Guided Access without a person setting it up) when it is allowed to; on other iPads staff
// start Guided Access by triple-clicking the side button. See ios/README.md, "Kiosk mode".

import Foundation
import Heirloom

#if canImport(SwiftUI) && canImport(UIKit)
import SwiftUI
import UIKit

/// Tells the model when the kiosk locked itself; called on the watchdog's thread.
final class LockRelay: KioskListener {
    private let onLock: (LockReason) -> Void

    init(onLock: @escaping (LockReason) -> Void) {
        self.onLock = onLock
    }

    func onLocked(reason: LockReason) {
        onLock(reason)
    }
}

/// The kiosk and what it shows.
@MainActor
final class KioskModel: ObservableObject {
    enum Screen {
        case locked([StaffMember])
        case residents([Resident])
        case prompts(Resident, [PromptSet])
    }

    @Published private(set) var screen: Screen = .locked([])
    @Published private(set) var message = ""
    private var kiosk: Kiosk?
    private var resident: KioskResident?

    func start(directory: URL) {
        do {
            let kiosk = try Kiosk.open(dataDir: directory.path, keyStore: KeychainKeyStore(service: "app.heirloom.kiosk"))
            self.kiosk = kiosk
            kiosk.watchIdle(listener: LockRelay { [weak self] reason in
                Task { @MainActor in self?.showLock(idle: reason == .idle) }
            })
            screen = .locked(try kiosk.staff())
            requestSingleAppMode()
        } catch {
            message = describe(error)
        }
    }

    /// Autonomous Single App Mode: only on supervised iPads whose MDM profile allows this app.
    private func requestSingleAppMode() {
        guard !UIAccessibility.isGuidedAccessEnabled else { return }
        UIAccessibility.requestGuidedAccessSession(enabled: true) { granted in
            if !granted {
                // Not supervised or not allowed: staff use Guided Access (triple-click) instead.
            }
        }
    }

    /// Every touch postpones the idle lock.
    func touched() {
        try? kiosk?.touch()
    }

    func logIn(_ member: StaffMember, pin: String) {
        guard let kiosk else { return }
        do {
            _ = try kiosk.logIn(staffId: member.id, pin: pin)
            screen = .residents(try kiosk.residents())
            message = ""
        } catch {
            message = describe(error)
        }
    }

    func open(_ who: Resident) {
        guard let kiosk else { return }
        do {
            let vault = try kiosk.openResident(residentId: who.id)
            resident = vault
            screen = .prompts(who, try vault.promptSets())
        } catch {
            message = describe(error)
        }
    }

    func backToResidents() {
        guard let kiosk else { return }
        do {
            try kiosk.closeResident()
            resident = nil
            screen = .residents(try kiosk.residents())
        } catch {
            message = describe(error)
        }
    }

    func lock() {
        try? kiosk?.lock()
        showLock(idle: false)
    }

    private func showLock(idle: Bool) {
        resident = nil
        message = idle ? "Locked after a quiet spell." : ""
        screen = .locked((try? kiosk?.staff()) ?? [])
    }

    private func describe(_ error: Error) -> String {
        switch error {
        case ApiError.WrongPin: return "That PIN is not right."
        case let ApiError.LockedOut(retryAfterMs): return "Too many tries. Wait \(retryAfterMs / 1000 + 1) seconds."
        case ApiError.Locked: return "Locked. Sign in again."
        case ApiError.PermissionDenied: return "Your role does not allow that."
        default: return "Something went wrong."
        }
    }
}

struct KioskView: View {
    @StateObject private var model = KioskModel()
    @State private var pin = ""
    let directory: URL

    var body: some View {
        VStack(alignment: .leading, spacing: 16) {
            switch model.screen {
            case let .locked(staff):
                Text("Who is signing in?").font(.largeTitle)
                SecureField("PIN", text: $pin).keyboardType(.numberPad).font(.title)
                List(staff, id: \.id) { member in
                    Button(member.name) {
                        model.logIn(member, pin: pin)
                        pin = ""
                    }
                }
            case let .residents(residents):
                Text("Choose a resident").font(.largeTitle)
                List(residents, id: \.id) { who in
                    Button(who.nameToUse) { model.open(who) }
                }
                Button("Lock") { model.lock() }
            case let .prompts(who, sets):
                Text(who.nameToUse).font(.largeTitle)
                List(sets, id: \.title) { set in
                    Section(set.title) {
                        ForEach(set.prompts, id: \.self) { prompt in
                            Text(prompt).font(who.profile.largeType ? .title : .body)
                        }
                    }
                }
                Button("Back to residents") { model.backToResidents() }
            }
            Text(model.message)
        }
        .padding()
        .contentShape(Rectangle())
        .simultaneousGesture(TapGesture().onEnded { model.touched() })
        .onAppear { model.start(directory: directory) }
    }
}
#endif
