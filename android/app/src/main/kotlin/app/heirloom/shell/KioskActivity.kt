package app.heirloom.shell

import android.app.Activity
import android.app.admin.DeviceAdminReceiver
import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.Context
import android.os.Bundle
import android.text.InputType
import android.view.MotionEvent
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.TextView
import app.heirloom.core.ApiException
import app.heirloom.core.Kiosk
import app.heirloom.core.KioskListener
import app.heirloom.core.KioskResident
import app.heirloom.core.LockReason
import app.heirloom.core.Resident
import app.heirloom.core.StaffMember
import java.io.File
import java.util.concurrent.Executors

/**
 * The device-owner hook: a device-policy controller (this receiver, made device owner with
 * `adb shell dpm set-device-owner app.heirloom.shell/.KioskAdminReceiver`) allow-lists the app
 * for lock-task mode. See android/README.md, "Kiosk mode on a shared tablet".
 */
class KioskAdminReceiver : DeviceAdminReceiver()

/**
 * Kiosk mode on a care-home tablet: a lock screen (staff and PIN), the resident picker, and one
 * resident's vault. Pins itself with lock-task mode: full kiosk when a device-policy controller
 * allow-lists the app, otherwise Android's screen pinning (the user confirms, and can unpin with
 * the system gesture). Every touch postpones the idle lock; when it fires the lock screen shows.
 */
class KioskActivity : Activity(), KioskListener {
    private val store = Executors.newSingleThreadExecutor { Thread(it, "heirloom-kiosk") }
    private var kiosk: Kiosk? = null
    private var resident: KioskResident? = null
    private lateinit var root: LinearLayout
    private lateinit var status: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setPadding(48, 48, 48, 48) }
        status = TextView(this).apply { textSize = 22f }
        setContentView(root)
        pinToScreen()
        onStore({ k -> k.watchIdle(this); k.staff() }) { showLockScreen(it) }
    }

    /** Lock-task mode if the app is allow-listed by the device owner, else screen pinning. */
    private fun pinToScreen() {
        val dpm = getSystemService(Context.DEVICE_POLICY_SERVICE) as DevicePolicyManager
        val admin = ComponentName(this, KioskAdminReceiver::class.java)
        if (dpm.isDeviceOwnerApp(packageName)) {
            dpm.setLockTaskPackages(admin, arrayOf(packageName))
        }
        // Allow-listed: the tablet is locked to this app. Otherwise Android asks to pin it.
        startLockTask()
    }

    override fun dispatchTouchEvent(ev: MotionEvent): Boolean {
        if (ev.action == MotionEvent.ACTION_DOWN) store.execute { runCatching { kiosk?.touch() } }
        return super.dispatchTouchEvent(ev)
    }

    /** Called on the watchdog's thread when the kiosk locked itself. */
    override fun onLocked(reason: LockReason) {
        resident = null
        onStore({ k -> k.staff() }) { showLockScreen(it, if (reason == LockReason.IDLE) "Locked after a quiet spell." else "") }
    }

    override fun onDestroy() {
        store.execute {
            runCatching { kiosk?.lock(); kiosk?.close() }
            kiosk = null
        }
        store.shutdown()
        super.onDestroy()
    }

    private fun <T> onStore(work: (Kiosk) -> T, show: (T) -> Unit) {
        store.execute {
            val result = runCatching {
                val k = kiosk ?: Kiosk.open(File(filesDir, "kiosk").path, KeystoreKeyStore(applicationContext, "app.heirloom.kiosk.v1")).also { kiosk = it }
                work(k)
            }
            runOnUiThread { result.onSuccess(show).onFailure { status.text = describe(it) } }
        }
    }

    private fun showLockScreen(staff: List<StaffMember>, note: String = "") {
        root.removeAllViews()
        status.text = note
        val pin = EditText(this).apply {
            inputType = InputType.TYPE_CLASS_NUMBER or InputType.TYPE_NUMBER_VARIATION_PASSWORD
            hint = "PIN"
            textSize = 28f
        }
        val list = ListView(this).apply {
            adapter = ArrayAdapter(this@KioskActivity, android.R.layout.simple_list_item_1, staff.map { it.name })
            setOnItemClickListener { _, _, i, _ ->
                val entered = pin.text.toString()
                pin.text.clear()
                onStore({ k -> k.logIn(staff[i].id, entered); k.residents() }) { showResidents(it) }
            }
        }
        root.addView(TextView(this).apply { text = "Who is signing in?"; textSize = 28f })
        root.addView(pin)
        root.addView(list)
        root.addView(status)
    }

    private fun showResidents(residents: List<Resident>) {
        root.removeAllViews()
        val list = ListView(this).apply {
            adapter = ArrayAdapter(this@KioskActivity, android.R.layout.simple_list_item_1, residents.map { it.nameToUse })
            setOnItemClickListener { _, _, i, _ ->
                onStore({ k -> k.openResident(residents[i].id).also { resident = it }.promptSets() }) { sets ->
                    showPrompts(residents[i], sets.flatMap { it.prompts }.take(12))
                }
            }
        }
        val lock = Button(this).apply {
            text = "Lock"
            setOnClickListener { onStore({ k -> k.lock(); k.staff() }) { showLockScreen(it) } }
        }
        root.addView(TextView(this).apply { text = "Choose a resident"; textSize = 28f })
        root.addView(list)
        root.addView(lock)
        root.addView(status)
    }

    private fun showPrompts(who: Resident, prompts: List<String>) {
        root.removeAllViews()
        val size = if (who.profile.largeType) 30f else 20f
        root.addView(TextView(this).apply { text = who.nameToUse; textSize = size + 6 })
        prompts.forEach { p -> root.addView(TextView(this).apply { text = p; textSize = size }) }
        root.addView(Button(this).apply {
            text = "Back to residents"
            setOnClickListener { onStore({ k -> k.closeResident(); resident = null; k.residents() }) { showResidents(it) } }
        })
        root.addView(status)
    }

    private fun describe(error: Throwable): String = when (error) {
        is ApiException.WrongPin -> "That PIN is not right."
        is ApiException.LockedOut -> "Too many tries. Wait ${error.retryAfterMs / 1000 + 1} seconds."
        is ApiException.Locked -> "Locked. Sign in again."
        is ApiException.PermissionDenied -> "Your role does not allow that."
        is ApiException -> error.message ?: "Something went wrong."
        else -> "Something went wrong."
    }
}
