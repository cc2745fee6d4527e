// Federated learning in the background (issue 8): a BGProcessingTask that iOS runs only while
// the device is idle and on external power, with a network. It joins the enclave's open round
// (the core refuses without the owner's "AI training" consent, beyond their privacy budget, or
// with too few confirmed facts) and sends the sealed update through the outbox. When iOS takes
// the conditions away it calls the expiration handler: training stops after the current batch
// and resumes from its checkpoint the next time.
//
// The app target's Info.plist must list the identifier under BGTaskSchedulerPermittedIdentifiers
// and "processing" under UIBackgroundModes (see ios/README.md).

import Foundation
import Heirloom

/// The enclave the app talks to: its URL and its Ed25519 signing keys (base64), pinned in the
/// app. No keys: no enclave is configured, and nothing is trained or sent.
enum EnclaveSettings {
    static let url = "https://enclave.heirloom.example"
    static let pinnedSigners: [String] = []
    static var config: EnclaveConfig {
        EnclaveConfig(url: url, pinnedSigners: pinnedSigners, partBytes: 0)
    }
}

/// What the core asks between training batches. A processing task runs only while iOS considers
/// the device idle and (as requested) on external power; both end when iOS expires the task.
final class TaskConditions: DeviceConditions, @unchecked Sendable {
    private let lock = NSLock()
    private var expired = false

    func expire() {
        lock.lock()
        expired = true
        lock.unlock()
    }

    private var running: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !expired
    }

    func isCharging() -> Bool {
        running
    }

    func isIdle() -> Bool {
        let info = ProcessInfo.processInfo
        return running && !info.isLowPowerModeEnabled && info.thermalState != .serious
            && info.thermalState != .critical
    }
}

/// Hears nothing: the background run has no screen to update.
final class QuietProgress: OutboxProgress {
    func onProgress(itemId: Int64, acked: UInt64, total: UInt64) {}
    func onState(itemId: Int64, state: ItemState) {}
}

/// One background attempt: join the round, then send what waits. Returns whether iOS should
/// count the run as a success (a paused or failed run is retried at the next opportunity).
func runTrainingRound(open: () throws -> Heirloom, conditions: TaskConditions, cancel: CancelHandle) -> Bool {
    do {
        let heirloom = try open()
        defer { heirloom.shutdown() }
        let learning = try heirloom.learning(enclave: EnclaveSettings.config)
        for task in [TrainingTask.emotion, TrainingTask.topic] {
            do {
                let outcome = try learning.joinRound(
                    task: task, device: conditions, cancel: cancel, timeLimitMs: 10 * 60 * 1000)
                if case .paused = outcome {
                    return false
                }
            } catch ApiError.NotNow {
                continue // too few confirmed facts of this kind yet
            }
        }
        // Queued now or earlier: send whatever waits (the update, or an erasure request).
        _ = try heirloom.outbox(enclave: EnclaveSettings.config)
            .run(progress: QuietProgress(), cancel: cancel, timeoutMs: 2 * 60 * 1000)
        return true
    } catch let error as ApiError {
        switch error {
        case .ConsentRequired, .BudgetExceeded, .NotNow:
            // The owner has not agreed, their budget is spent, or there is nothing to learn yet.
            return true
        default:
            return false
        }
    } catch {
        return false
    }
}

#if canImport(BackgroundTasks) && os(iOS)
import BackgroundTasks

enum BackgroundTraining {
    static let identifier = "app.heirloom.learn"

    /// Registers the task handler; call before the app finishes launching.
    static func register(open: @escaping () throws -> Heirloom) {
        guard !EnclaveSettings.pinnedSigners.isEmpty else { return }
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let task = task as? BGProcessingTask else {
                task.setTaskCompleted(success: false)
                return
            }
            schedule()
            let conditions = TaskConditions()
            let cancel = CancelHandle()
            task.expirationHandler = {
                conditions.expire()
                cancel.cancel()
            }
            DispatchQueue.global(qos: .background).async {
                let success = runTrainingRound(open: open, conditions: conditions, cancel: cancel)
                task.setTaskCompleted(success: success)
            }
        }
    }

    /// Asks for the next attempt, at most daily, idle, on power and with a network.
    static func schedule() {
        guard !EnclaveSettings.pinnedSigners.isEmpty else { return }
        let request = BGProcessingTaskRequest(identifier: identifier)
        request.requiresExternalPower = true
        request.requiresNetworkConnectivity = true
        request.earliestBeginDate = Date(timeIntervalSinceNow: 24 * 60 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
#endif
