package app.heirloom.shell

import android.app.Activity
import android.graphics.Typeface
import android.os.Bundle
import android.text.SpannableString
import android.text.Spanned
import android.text.style.StyleSpan
import android.view.View
import android.view.inputmethod.EditorInfo
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.FrameLayout
import android.widget.LinearLayout
import android.widget.ListView
import android.widget.TextView
import app.heirloom.core.AboutWhen
import app.heirloom.core.ApiException
import app.heirloom.core.Heirloom
import app.heirloom.core.Memory
import app.heirloom.core.SearchHit
import java.io.File
import java.text.DateFormat
import java.util.Date
import java.util.Locale
import java.util.concurrent.Executors
import kotlinx.coroutines.MainScope
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * A tiny shell over the Heirloom bindings: opens the store in filesDir/heirloom with its key in
 * the Android Keystore, lists the memories, adds typed ones and searches. Not the real app: a
 * check that the generated API is usable from an Android app. Plain Views, no AndroidX.
 */
class MainActivity : Activity() {
    private val ui = MainScope()

    /** The open store; read and written on the store thread only. */
    private var heirloom: Heirloom? = null

    private lateinit var titleField: EditText
    private lateinit var textField: EditText
    private lateinit var queryField: EditText
    private lateinit var status: TextView
    private lateinit var rows: ArrayAdapter<CharSequence>

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(buildViews())
        showMemories()
        // Federated learning waits for charging, idle and Wi-Fi, and for the owner's consent.
        TrainingWorker.schedule(applicationContext)
    }

    override fun onDestroy() {
        ui.cancel()
        // Queued behind any call still running. shutdown() closes the database now; use {}
        // then releases the handle. Nothing may escape: an uncaught error here ends the process.
        storeExecutor.execute {
            runCatching { heirloom?.use { it.shutdown() } }
            heirloom = null
        }
        super.onDestroy()
    }

    /**
     * Runs [work] with the open store on the store thread (every call blocks on SQLite), then
     * [show]s the result on the main thread. The store opens on first use, so a failed open
     * (a Keystore error, say) is shown and retried by the next action.
     */
    private fun <T> withStore(work: (Heirloom) -> T, show: (T) -> Unit) {
        ui.launch {
            val result = withContext(storeThread) {
                runCatching { work(heirloom ?: openStore()) }
            }
            result.onSuccess(show).onFailure { status.text = describe(it) }
        }
    }

    private fun openStore(): Heirloom {
        val dir = File(filesDir, "heirloom").apply { mkdirs() }
        return Heirloom.open(dir.path, KeystoreKeyStore(applicationContext)).also { heirloom = it }
    }

    private fun showMemories() = withStore({ h -> h.memories().use { it.list(0u, 200u) } }) { memories ->
        status.text = "${memories.size} memories"
        rows.replaceWith(memories.map { "${it.title}\n${whenOf(it)}" })
    }

    private fun addMemory() {
        val title = titleField.text.toString().trim()
        val text = textField.text.toString().trim()
        if (title.isEmpty() || text.isEmpty()) {
            status.text = "A memory needs a title and some text."
            return
        }
        withStore({ h -> h.memories().use { it.addText(title, text, null) } }) {
            titleField.text.clear()
            textField.text.clear()
            showMemories()
        }
    }

    private fun search() {
        val query = queryField.text.toString().trim()
        if (query.isEmpty()) return showMemories()
        withStore({ h -> h.search().use { it.segments(query, 50u) } }) { hits ->
            status.text = "${hits.size} matches for \u201c$query\u201d"
            rows.replaceWith(hits.map(::hitRow))
        }
    }

    private fun buildViews(): View {
        val pad = (16 * resources.displayMetrics.density).toInt()
        titleField = EditText(this).apply { hint = "Title"; setSingleLine() }
        textField = EditText(this).apply { hint = "What do you remember?"; minLines = 2 }
        queryField = EditText(this).apply {
            hint = "Search"
            setSingleLine()
            imeOptions = EditorInfo.IME_ACTION_SEARCH
            setOnEditorActionListener { _, _, _ -> search(); true }
        }
        status = TextView(this)
        rows = ArrayAdapter(this, android.R.layout.simple_list_item_1, mutableListOf())
        val content = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            setPadding(pad, pad, pad, pad)
            addView(titleField)
            addView(textField)
            addView(Button(context).apply { text = "Add memory"; setOnClickListener { addMemory() } })
            addView(LinearLayout(context).apply {
                addView(queryField, LinearLayout.LayoutParams(0, LinearLayout.LayoutParams.WRAP_CONTENT, 1f))
                addView(Button(context).apply { text = "Search"; setOnClickListener { search() } })
            })
            addView(status)
            addView(
                ListView(context).apply { adapter = rows },
                LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f),
            )
        }
        // Keeps the content clear of the system bars (edge-to-edge is enforced from targetSdk 35).
        return FrameLayout(this).apply {
            fitsSystemWindows = true
            addView(content)
        }
    }

    private companion object {
        /** One thread for every store call in the process, so calls run in order, and a new
         *  activity (after a rotation) opens the store only after the old one has shut it. */
        val storeExecutor = Executors.newSingleThreadExecutor { Thread(it, "heirloom-store") }
        val storeThread = storeExecutor.asCoroutineDispatcher()
    }
}

private fun ArrayAdapter<CharSequence>.replaceWith(items: List<CharSequence>) {
    clear()
    addAll(items)
}

/** The date the memory is about, in the CLI's forms ("1948", "1950s", "later_life"), else when it was told. */
private fun whenOf(memory: Memory): String = when (val about = memory.aboutWhen) {
    null -> "told " + DateFormat.getDateInstance().format(Date(memory.toldAtMs))
    is AboutWhen.Day -> String.format(Locale.ROOT, "%04d-%02d-%02d", about.year, about.month.toInt(), about.day.toInt())
    is AboutWhen.Month -> String.format(Locale.ROOT, "%04d-%02d", about.year, about.month.toInt())
    is AboutWhen.Year -> String.format(Locale.ROOT, "%04d", about.year)
    is AboutWhen.YearRange -> String.format(Locale.ROOT, "%04d..%04d", about.from, about.to)
    is AboutWhen.Decade -> String.format(Locale.ROOT, "%04ds", about.start)
    is AboutWhen.LifeStage -> about.stage.name.lowercase(Locale.ROOT)
}

/** A search hit: the memory's title, then the snippet with the matched words in bold. */
private fun hitRow(hit: SearchHit): CharSequence {
    val head = hit.memoryTitle + "\n"
    val row = SpannableString(head + hit.snippet)
    val scalars = hit.snippet.codePointCount(0, hit.snippet.length)
    for (range in hit.highlights) {
        // Highlights count Unicode scalars; Android strings index UTF-16 units.
        val start = range.start.toInt().coerceIn(0, scalars)
        val end = range.end.toInt().coerceIn(start, scalars)
        row.setSpan(
            StyleSpan(Typeface.BOLD),
            head.length + hit.snippet.offsetByCodePoints(0, start),
            head.length + hit.snippet.offsetByCodePoints(0, end),
            Spanned.SPAN_EXCLUSIVE_EXCLUSIVE,
        )
    }
    return row
}

/** A short message for the status line; ApiException's kinds are what the app can act on. */
private fun describe(error: Throwable): String = when (error) {
    is ApiException.WrongKey -> "This store's key does not open it."
    is ApiException.KeyMissing -> "The key for this store is missing from the Keystore."
    is ApiException.KeyStore -> "Keystore problem: ${error.reason}"
    is ApiException.Closed -> "The store is closed."
    is ApiException -> "${error.javaClass.simpleName}: ${error.message}"
    else -> "Unexpected: ${error.javaClass.simpleName}"
}
