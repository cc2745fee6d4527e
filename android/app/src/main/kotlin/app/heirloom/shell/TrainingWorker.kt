package app.heirloom.shell

import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.os.BatteryManager
import android.os.PowerManager
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import app.heirloom.core.ApiException
import app.heirloom.core.CancelHandle
import app.heirloom.core.DeviceConditions
import app.heirloom.core.EnclaveConfig
import app.heirloom.core.Heirloom
import app.heirloom.core.ItemState
import app.heirloom.core.OutboxProgress
import app.heirloom.core.RoundOutcome
import app.heirloom.core.TrainingTask
import java.io.File
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * The enclave the app talks to: its URL and its Ed25519 signing keys (base64), pinned in the app.
 * Empty keys mean no enclave is configured, and nothing is ever trained or sent.
 */
object EnclaveSettings {
    const val URL = "https://enclave.heirloom.example"
    val pinnedSigners: List<String> = emptyList()
    val config get() = EnclaveConfig(URL, pinnedSigners, 0uL)
}

/** What the system says about the device now. Asked again between training batches. */
class AndroidConditions(context: Context) : DeviceConditions {
    private val app = context.applicationContext
    private val power = app.getSystemService(PowerManager::class.java)

    override fun isCharging(): Boolean {
        // A sticky broadcast: no receiver is registered, the last battery state is read.
        val battery = app.registerReceiver(null, IntentFilter(Intent.ACTION_BATTERY_CHANGED))
        val status = battery?.getIntExtra(BatteryManager.EXTRA_STATUS, -1) ?: -1
        return status == BatteryManager.BATTERY_STATUS_CHARGING || status == BatteryManager.BATTERY_STATUS_FULL
    }

    override fun isIdle(): Boolean {
        // Doze's idle mode, or at least nobody using the screen and no power saving asked for.
        val p = power ?: return false
        return p.isDeviceIdleMode || (!p.isInteractive && !p.isPowerSaveMode)
    }
}

/**
 * Joins the enclave's open federated-learning rounds (emotions, then topics) in the background
 * (issue 8): WorkManager runs
 * it at most daily, only while the device charges, is idle and has a network. The core refuses
 * without the owner's "AI training" consent, beyond their privacy budget, or with too few
 * confirmed facts; those end the run quietly. Training stops when the conditions change or the
 * system stops the work, and resumes from its checkpoint next time. A queued update is then sent
 * by the outbox, sealed to the enclave.
 */
class TrainingWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    private val cancel = CancelHandle()

    override suspend fun doWork(): Result = withContext(Dispatchers.IO) {
        if (EnclaveSettings.pinnedSigners.isEmpty()) return@withContext Result.success()
        val dir = File(applicationContext.filesDir, "heirloom")
        if (!dir.isDirectory) return@withContext Result.success()
        try {
            Heirloom.open(dir.path, KeystoreKeyStore(applicationContext)).use { heirloom ->
                val learning = heirloom.learning(EnclaveSettings.config)
                val conditions = AndroidConditions(applicationContext)
                for (task in TrainingTask.entries) {
                    val outcome = try {
                        learning.joinRound(task, conditions, cancel, TIME_LIMIT_MS)
                    } catch (e: ApiException.NotNow) {
                        continue // too few confirmed facts of this kind yet
                    }
                    if (outcome is RoundOutcome.Paused) return@use Result.retry()
                }
                // Queued now or earlier: send whatever waits (the update, or an erasure request).
                heirloom.outbox(EnclaveSettings.config).run(Quiet, cancel, SEND_LIMIT_MS)
                Result.success()
            }
        } catch (e: ApiException.ConsentRequired) {
            Result.success()
        } catch (e: ApiException.BudgetExceeded) {
            Result.success()
        } catch (e: ApiException.NotNow) {
            // Not charging and idle after all, or too few confirmed facts yet.
            Result.success()
        } catch (e: ApiException.Cancelled) {
            Result.retry()
        } catch (e: ApiException.Network) {
            Result.retry()
        } catch (e: ApiException) {
            // The error's type only: messages never carry the owner's data, but logs stay quiet.
            Result.failure()
        }
    }

    override fun onStopped() {
        // The system took the conditions away (unplugged, screen on, quota): stop after the batch.
        cancel.cancel()
        super.onStopped()
    }

    private object Quiet : OutboxProgress {
        override fun onProgress(itemId: Long, acked: ULong, total: ULong) {}
        override fun onState(itemId: Long, state: ItemState) {}
    }

    companion object {
        private const val NAME = "heirloom-federated-learning"
        /** Training stops here and resumes next time; the round stays open for days. */
        private const val TIME_LIMIT_MS = 10uL * 60uL * 1000uL
        private const val SEND_LIMIT_MS = 2uL * 60uL * 1000uL

        /** Schedules the daily attempt; keeps an existing schedule. Called when the app starts. */
        fun schedule(context: Context) {
            val constraints = Constraints.Builder()
                .setRequiresCharging(true)
                .setRequiresDeviceIdle(true)
                .setRequiredNetworkType(NetworkType.UNMETERED)
                .setRequiresBatteryNotLow(true)
                .build()
            val request = PeriodicWorkRequestBuilder<TrainingWorker>(1, TimeUnit.DAYS)
                .setConstraints(constraints)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(NAME, ExistingPeriodicWorkPolicy.KEEP, request)
        }
    }
}
