// Kotlin tests of the Heirloom bindings, run on the JVM through JNA against the built library.
// Compiled by the real Kotlin compiler (tests/kotlin/run.sh). Every check counts; the last line
// is "N passed, M failed".

import app.heirloom.core.*
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/** An in-memory key store implemented in Kotlin: exercises the foreign-trait path. */
class MemoryKeyStore : KeyStore {
    val keys = ConcurrentHashMap<String, ByteArray>()
    val loads = AtomicInteger()
    override fun load(name: String): ByteArray? { loads.incrementAndGet(); return keys[name]?.copyOf() }
    override fun store(name: String, secret: ByteArray) { keys[name] = secret.copyOf() }
}

/** A key store whose platform storage is broken. */
class FailingKeyStore : KeyStore {
    override fun load(name: String): ByteArray? = throw ApiException.KeyStore("keychain locked")
    override fun store(name: String, secret: ByteArray) = throw ApiException.KeyStore("keychain locked")
}

var passed = 0
var failed = 0
var current = ""

fun check(condition: Boolean, what: String) {
    if (condition) passed++ else { failed++; println("  FAILED [$current]: $what") }
}

fun <T> checkEq(actual: T, expected: T, what: String) =
    check(actual == expected, "$what: expected <$expected>, got <$actual>")

inline fun <reified E : Throwable> checkThrows(what: String, block: () -> Unit): E? {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) { passed++; return e }
        failed++; println("  FAILED [$current]: $what: threw ${e::class.simpleName}"); return null
    }
    failed++; println("  FAILED [$current]: $what: nothing thrown"); return null
}

fun test(name: String, body: () -> Unit) {
    current = name
    val before = failed
    try { body() } catch (e: Throwable) {
        failed++; println("  FAILED [$name]: unexpected ${e::class.qualifiedName}: ${e.message}")
    }
    println((if (failed == before) "ok   " else "FAIL ") + name)
}

fun tempDir(): String = Files.createTempDirectory("heirloom-kt").toString()

fun newMemory(title: String, about: AboutWhen? = null, toldAt: Long = 0) =
    NewMemory(title, toldAt, MemorySource.VOICE, about, FactStatus.INFERRED)

fun person(name: String, relation: String? = null, deceased: Boolean = false) =
    NewEntity(EntityKind.PERSON, name, listOf(), EntityAttributes(relation, null, deceased, false), FactStatus.INFERRED)

fun spanOf(segment: Segment, words: String): Span {
    val text = segment.userText ?: segment.machineText
    val start = text.codePointCount(0, text.indexOf(words))
    return Span(segment.id, start.toUInt(), (start + words.codePointCount(0, words.length)).toUInt())
}

const val JFK_WORDS = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"

/** Lowercase words without punctuation. */
fun words(text: String): String =
    text.split(Regex("\\s+")).map { w -> w.filter { it.isLetterOrDigit() }.lowercase() }.filter { it.isNotEmpty() }.joinToString(" ")

/** The 16-bit samples of a PCM WAV file's data chunk. */
fun pcm16(wav: ByteArray): List<Short> {
    val buf = java.nio.ByteBuffer.wrap(wav).order(java.nio.ByteOrder.LITTLE_ENDIAN)
    var pos = 12
    while (pos + 8 <= wav.size) {
        val id = String(wav, pos, 4, Charsets.US_ASCII)
        val len = buf.getInt(pos + 4)
        if (id == "data") return List(len / 2) { buf.getShort(pos + 8 + 2 * it) }
        pos += 8 + len + (len and 1)
    }
    error("no data chunk")
}

fun main() {
    test("open, close and reopen with the same key") {
        val dir = tempDir()
        val keys = MemoryKeyStore()
        Heirloom.open(dir, keys).use { h ->
            h.memories().addText("First", "hello", null)
        }
        checkEq(keys.keys.size, 1, "one key stored")
        checkEq(keys.keys.values.first().size, 32, "32-byte key")
        Heirloom.open(dir, keys).use { h -> checkEq(h.memories().list(0u, 10u).size, 1, "memory survives reopen") }
        check(keys.loads.get() >= 2, "key loaded from the Kotlin key store")
    }

    test("wrong key is a typed exception") {
        val dir = tempDir()
        Heirloom.open(dir, MemoryKeyStore()).use { it.memories().addText("Secret", "text", null) }
        val other = MemoryKeyStore()
        other.keys["heirloom.store.v1"] = ByteArray(32) { 7 }
        checkThrows<ApiException.WrongKey>("wrong key") { Heirloom.open(dir, other) }
        checkThrows<ApiException.KeyMissing>("missing key") { Heirloom.open(dir, MemoryKeyStore()) }
        val short = MemoryKeyStore()
        short.keys["heirloom.store.v1"] = ByteArray(5)
        checkThrows<ApiException.KeyStore>("malformed key") { Heirloom.open(dir, short) }
        checkThrows<ApiException.KeyStore>("failing key store") { Heirloom.open(tempDir(), FailingKeyStore()) }
    }

    test("file key store from Rust works from Kotlin") {
        val dir = tempDir()
        val keys = fileKeyStore("$dir/keys")
        Heirloom.open("$dir/data", keys).use { it.memories().addText("T", "x", null) }
        check(Files.exists(Path.of("$dir/keys")), "key file written")
        Heirloom.open("$dir/data", fileKeyStore("$dir/keys")).use { checkEq(it.life().coverage().memories, 1u, "reopened") }
    }

    test("whole memory lifecycle") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val m = h.memories()
            val created = m.create(newMemory("Wedding day", AboutWhen.Day(1962, 6u, 16u), 100))
            checkEq(created.title, "Wedding day", "title")
            checkEq(created.aboutWhen, AboutWhen.Day(1962, 6u, 16u) as AboutWhen?, "about when round-trips")
            val segs = m.addSegments(created.id, null, listOf(
                NewSegment(0, 2500, "We married in June.", 0.8),
                NewSegment(2500, 4000, "It rained all day.", 0.7)))
            checkEq(segs.map { it.ordinal }, listOf(0L, 1L), "ordinals")
            val edited = m.editSegment(segs[1].id, "It poured all day.")
            checkEq(edited.machineText, "It rained all day.", "machine text kept")
            checkEq(edited.userText, "It poured all day.", "user text kept apart")
            val updated = m.update(created.id, MemoryChanges(title = "Our wedding", clearAboutWhen = true))
            checkEq(updated.title, "Our wedding", "updated title")
            checkEq(updated.aboutWhen, null, "date cleared")
            val detail = m.detail(created.id)
            checkEq(detail.segments.size, 2, "detail has segments")
            val deleted = m.delete(created.id)
            checkEq(deleted.removedFiles, listOf<String>(), "no files")
            checkThrows<ApiException.NotFound>("deleted memory is gone") { m.get(created.id) }
        }
    }

    test("photos: import a JPEG, details, thumbnails, duplicates and bad files") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val memory = h.memories().create(newMemory("The garden"))
            val dir = Files.createTempDirectory("heirloom-photos")
            // A real JPEG from the JVM's own encoder.
            val picture = java.awt.image.BufferedImage(640, 480, java.awt.image.BufferedImage.TYPE_INT_RGB)
            for (x in 0 until 640) for (y in 0 until 480) picture.setRGB(x, y, (x % 256 shl 16) or (y % 256 shl 8) or 90)
            val jpeg = dir.resolve("garden.jpg").toFile()
            check(javax.imageio.ImageIO.write(picture, "jpg", jpeg), "JVM wrote a JPEG")
            val photos = h.photos()
            val imported = photos.import(memory.id, jpeg.path)
            checkEq(imported.photo.width to imported.photo.height, 640u to 480u, "size read")
            checkEq(imported.photo.format, "jpeg", "format read from content")
            checkEq(imported.alreadyStored, false, "new photo")
            checkEq(imported.photo.latitude, null, "no GPS in this file")
            val small = javax.imageio.ImageIO.read(java.io.ByteArrayInputStream(photos.image(imported.photo.media.id, PhotoSize.SMALL)))
            checkEq(small.width to small.height, 256 to 192, "small thumbnail decodes on the JVM")
            checkEq(photos.details(imported.photo.media.id).media.id, imported.photo.media.id, "details")
            checkEq(photos.import(memory.id, jpeg.path).alreadyStored, true, "stored once")
            checkEq(h.memories().detail(memory.id).media.size, 1, "attached once")
            val videos = h.videos()
            val board = videos.storyboard(memory.id)
            checkEq(board.scenes.map { it.mediaId }, listOf<Long?>(imported.photo.media.id), "one scene for the photo")
            checkEq(board.width to board.durationMs, 1280u to 5000u, "720p, 5 s without narration")
            check(board.scenes[0].cropFrom != board.scenes[0].cropTo, "the photo pans and zooms")
            val hd = videos.editStoryboard(memory.id, StoryboardChanges(listOf(), listOf(), null, null, true))
            checkEq(hd.width, 1920u, "1080p chosen")
            checkEq(videos.storyboard(memory.id).width, 1920u, "the change is kept")
            checkThrows<ApiException.InvalidInput>("half a span") {
                videos.editStoryboard(memory.id, StoryboardChanges(listOf(), listOf(), 1000u, null, null))
            }
            val notes = dir.resolve("notes.jpg").toFile().apply { writeText("not a photo") }
            checkThrows<ApiException.InvalidInput>("not an image") { photos.import(memory.id, notes.path) }
            val cut = dir.resolve("cut.jpg").toFile().apply { writeBytes(jpeg.readBytes().copyOf(2000)) }
            checkThrows<ApiException.Corrupt>("cut short") { photos.import(memory.id, cut.path) }
        }
    }

    test("a memory video renders to an MP4 with progress, is kept encrypted, and cancels cleanly") {
        val models = System.getenv("HEIRLOOM_MODELS") ?: error("HEIRLOOM_MODELS is not set")
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val memory = h.memories().addText("The orchard", "We picked apples.\nThen pears.", null)
            val dir = Files.createTempDirectory("heirloom-video")
            val picture = java.awt.image.BufferedImage(800, 600, java.awt.image.BufferedImage.TYPE_INT_RGB)
            for (x in 0 until 800) for (y in 0 until 600) picture.setRGB(x, y, (x % 256 shl 16) or (y % 256 shl 8) or 60)
            val jpeg = dir.resolve("orchard.jpg").toFile()
            check(javax.imageio.ImageIO.write(picture, "jpg", jpeg), "JVM wrote a JPEG")
            h.photos().import(memory.memory.id, jpeg.path)
            val videos = h.videos()
            videos.useFonts(models)
            val seen = java.util.Collections.synchronizedList(mutableListOf<Long>())
            val listener = object : RenderListener {
                override fun onProgress(framesDone: ULong, framesTotal: ULong) { seen.add(framesDone.toLong()) }
            }
            val out = dir.resolve("orchard.mp4").toFile()
            val rendered = videos.render(memory.memory.id, RenderRequest(out.path, true), null, null, listener, CancelHandle())
            checkEq(rendered.width to rendered.height, 1280u to 720u, "720p")
            checkEq(rendered.frames, 150uL, "5 s at 30 fps")
            checkEq(seen.size, 150, "progress for every frame")
            checkEq(out.length(), rendered.bytes.toLong(), "the MP4 written out")
            checkEq(String(out.readBytes().copyOfRange(4, 8)), "ftyp", "an MP4")
            val kept = rendered.mediaId ?: error("kept")
            check(h.memories().detail(memory.memory.id).media.any { it.id == kept && it.kind == MediaKind.VIDEO }, "kept with the memory")
            val probe = ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,profile", "-of", "csv=p=0", out.path)
                .redirectErrorStream(true).start()
            val streams = probe.inputStream.bufferedReader().readText().trim()
            check(probe.waitFor() == 0, "ffprobe ran")
            checkEq(streams, "h264,Constrained Baseline", "one H.264 stream, no audio for a text memory")

            // A platform encoder that fails: a typed error and no file.
            val broken = object : PlatformVideoEncoder {
                override fun start(width: UInt, height: UInt, fps: UInt, bitrate: UInt, keyframeInterval: UInt) {}
                override fun encode(i420: ByteArray, index: ULong): List<EncodedPicture> {
                    checkEq(i420.size, 1280 * 720 * 3 / 2, "I420 frame handed over")
                    throw ApiException.Internal("encoder unavailable")
                }
                override fun finish(): List<EncodedPicture> = listOf()
            }
            val nothing = dir.resolve("broken.mp4").toFile()
            checkThrows<ApiException.Internal>("failing platform encoder") {
                videos.render(memory.memory.id, RenderRequest(nothing.path, false), broken, null, null, CancelHandle())
            }
            check(!nothing.exists(), "no file after a failed render")
            // Cancelled from the listener: Cancelled, no file.
            val cancel = CancelHandle()
            val stopper = object : RenderListener {
                override fun onProgress(framesDone: ULong, framesTotal: ULong) { if (framesDone == 5uL) cancel.cancel() }
            }
            val cancelled = dir.resolve("cancelled.mp4").toFile()
            checkThrows<ApiException.Cancelled>("cancelled render") {
                videos.render(memory.memory.id, RenderRequest(cancelled.path, false), null, null, stopper, cancel)
            }
            check(!cancelled.exists(), "no file after a cancelled render")
        }
    }

    test("invalid input is a typed exception") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val m = h.memories()
            checkThrows<ApiException.InvalidInput>("blank title") { m.create(newMemory("   ")) }
            checkThrows<ApiException.InvalidInput>("impossible date") { m.create(newMemory("x", AboutWhen.Day(1900, 2u, 29u))) }
            val mem = m.create(newMemory("ok"))
            checkThrows<ApiException.InvalidInput>("backwards segment") {
                m.addSegments(mem.id, null, listOf(NewSegment(10, 5, "x", 0.5)))
            }
            checkThrows<ApiException.NotFound>("unknown memory") { m.detail(424242) }
        }
    }

    test("people: mentions, relations and the person view") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val detail = h.memories().addText("Bakery", "Grandma Rosa and Tom opened the bakery in Napoli.", AboutWhen.Year(1948))
            val seg = detail.segments[0]
            val p = h.people()
            val rosa = p.create(person("Rosa", "grandmother", deceased = true))
            val tom = p.create(person("Tom"))
            val mention = p.linkMention(rosa.id, spanOf(seg, "Grandma Rosa"), 0.9, FactStatus.INFERRED)
            checkEq(mention.quote, "Grandma Rosa", "quote read from the span")
            p.linkMention(tom.id, spanOf(seg, "Tom"), 0.9, FactStatus.CONFIRMED)
            p.addRelation(NewRelation(rosa.id, tom.id, "married to", spanOf(seg, "Rosa and Tom"), 0.6, FactStatus.INFERRED))
            val view = p.person(rosa.id)
            checkEq(view.entity.attributes.relationToOwner, "grandmother", "relation to owner")
            check(view.entity.attributes.deceased, "deceased flag")
            checkEq(view.memories.map { it.id }, listOf(detail.memory.id), "memories of Rosa")
            checkEq(view.relations.single().other.displayName, "Tom", "relation other end")
            checkEq(view.relations.single().direction, RelationDirection.OUTGOING, "direction")
            p.addAlias(rosa.id, "Nonna")
            val created = p.createLinked(person("Napoli").copy(kind = EntityKind.PLACE), listOf(detail.memory.id))
            checkEq(created.linked.map { it.quote }, listOf("Napoli"), "place linked by name")
            checkEq(p.list(EntityKind.PERSON, "nonna").map { it.id }, listOf(rosa.id), "find by alias")
            checkThrows<ApiException.InvalidInput>("span outside text") {
                p.linkMention(tom.id, Span(seg.id, 500u, 510u), 0.5, FactStatus.INFERRED)
            }
        }
    }

    test("search with diacritics, CJK and highlights") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            h.memories().addText("Travels", "We took the night train to Zürich with José.\n我在北京长大。", null)
            val s = h.search()
            val hits = s.segments("zurich jose", 10u)
            checkEq(hits.size, 1, "one hit")
            val hl = hits[0].highlights[0]
            val snippet = hits[0].snippet
            val cps = snippet.codePoints().toArray()
            checkEq(String(cps, hl.start.toInt(), (hl.end - hl.start).toInt()), "Zürich", "highlight offsets")
            checkEq(s.segments("北京", 10u).size, 1, "CJK substring")
            checkEq(s.segments("\"NEAR(", 10u).size, 0, "hostile query is just words")
        }
    }

    test("merge, accept and undo") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val seg = h.memories().addText("Kitchen", "My grandmother sang while Rosa rolled pasta.", null).segments[0]
            val p = h.people()
            val gm = p.create(person("my grandmother", "grandmother"))
            val rosa = p.create(person("Rosa"))
            p.linkMention(gm.id, spanOf(seg, "My grandmother"), 0.7, FactStatus.INFERRED)
            p.linkMention(rosa.id, spanOf(seg, "Rosa"), 0.9, FactStatus.INFERRED)
            val merges = h.merges()
            val proposal = merges.propose(rosa.id, gm.id, 0.8)
            checkEq(proposal.state, MergeState.PROPOSED, "proposed")
            checkEq(merges.list(MergeState.PROPOSED).size, 1, "listed")
            checkEq(merges.accept(proposal.id).state, MergeState.ACCEPTED, "accepted")
            val merged = p.person(rosa.id)
            checkEq(merged.mentions.size, 2, "mentions moved")
            checkEq(merged.entity.attributes.relationToOwner, "grandmother", "attribute carried")
            checkEq(p.get(gm.id).id, rosa.id, "old id resolves to kept entity")
            checkEq(p.list(EntityKind.PERSON, null).size, 1, "one person listed")
            checkEq(merges.undo(proposal.id).state, MergeState.UNDONE, "undone")
            checkEq(p.person(gm.id).mentions.map { it.quote }, listOf("My grandmother"), "mention back")
            checkEq(p.person(rosa.id).entity.attributes.relationToOwner, null, "attribute restored")
            checkThrows<ApiException.Conflict>("undo twice") { merges.undo(proposal.id) }
        }
    }

    test("timeline and coverage") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val m = h.memories()
            val sixties = m.create(newMemory("sixties", AboutWhen.Decade(1960)))
            val war = m.create(newMemory("war", AboutWhen.YearRange(1939, 1945)))
            val child = m.create(newMemory("child", AboutWhen.LifeStage(LifeStage.CHILDHOOD)))
            val undated = m.create(newMemory("undated"))
            val t = h.life().timeline(0u, 50u)
            checkEq(t.dated.map { it.id }, listOf(war.id, sixties.id, child.id), "dated order")
            checkEq(t.undated.map { it.id }, listOf(undated.id), "undated apart")
            val c = h.life().coverage()
            checkEq(c.memories, 4u, "memory count")
            checkEq(c.memoriesByDecade.map { it.decade }, listOf(1930, 1960), "decades")
        }
    }

    test("a recording session streams audio into a voice memory") {
        val dir = tempDir()
        Heirloom.open(dir, MemoryKeyStore()).use { h ->
            val recorder = h.recorder()
            val session = recorder.start(16000u, 1u)
            // 2.5 s of a 440 Hz tone, pushed in 100 ms frames as a phone's audio callback would.
            val tenth = List(1600) { i -> (8000 * Math.sin(2 * Math.PI * 440 * i / 16000)).toInt().toShort() }
            repeat(25) { session.pushI16(tenth) }
            checkEq(session.durationMs(), 2500uL, "duration while recording")
            val voice = session.stop("Papa's voice")
            checkEq(voice.memory.source, MemorySource.VOICE, "voice memory")
            checkEq(voice.recording.durationMs, 2500L, "stored duration")
            check(voice.recording.audioPath.startsWith("audio/"), "audio under audio/")
            checkThrows<ApiException.Conflict>("push after stop") { session.pushI16(tenth) }
            checkEq(h.memories().detail(voice.memory.id).recordings.size, 1, "recording listed")
            val file = Path.of(dir, voice.recording.audioPath)
            val bytes = Files.readAllBytes(file)
            check(bytes.size > 80000, "audio on disk")
            val pcm = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN)
            tenth.take(32).forEach { pcm.putShort(it) }
            check(!String(bytes, Charsets.ISO_8859_1).contains(String(pcm.array(), Charsets.ISO_8859_1)), "no PCM in file")
            val cancelled = recorder.start(48000u, 2u)
            cancelled.pushF32(List(9600) { 0.25f })
            cancelled.cancel()
            checkEq(recorder.recover().size, 0, "nothing to recover after cancel")
            checkThrows<ApiException.InvalidInput>("unsupported rate") { recorder.start(96000u, 1u) }
            checkThrows<ApiException.InvalidInput>("ragged stereo frames") { recorder.start(16000u, 2u).pushI16(listOf(1, 2, 3).map { it.toShort() }) }
        }
    }

    test("an abandoned session is recovered at the next open") {
        val dir = tempDir()
        val keys = MemoryKeyStore()
        Heirloom.open(dir, keys).use { h ->
            val session = h.recorder().start(16000u, 1u)
            session.pushI16(List(24000) { (it % 100).toShort() })
            session.destroy() // the app dies without stop()
        }
        Heirloom.open(dir, keys).use { h ->
            val recovered = h.recorder().recover()
            checkEq(recovered.size, 1, "one recovered")
            checkEq(recovered[0].recording.durationMs, 1500L, "every pushed sample kept")
            checkEq(recovered[0].memory.title, "Recovered recording", "titled for the owner to rename")
        }
    }

    test("closed handle fails with Closed") {
        val h = Heirloom.open(tempDir(), MemoryKeyStore())
        val memories = h.memories()
        h.shutdown()
        checkThrows<ApiException.Closed>("after close") { memories.list(0u, 10u) }
        h.destroy()
    }

    test("eight threads share one handle") {
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val pool = Executors.newFixedThreadPool(8)
            val errors = AtomicInteger()
            repeat(8) { t ->
                pool.submit {
                    try {
                        repeat(15) { i ->
                            h.memories().addText("thread $t memory $i", "story $i from thread $t", null)
                            h.search().segments("story", 5u)
                        }
                    } catch (e: Throwable) { errors.incrementAndGet() }
                }
            }
            pool.shutdown()
            check(pool.awaitTermination(120, TimeUnit.SECONDS), "threads finished")
            checkEq(errors.get(), 0, "no errors across threads")
            checkEq(h.life().coverage().memories, 120u, "all writes landed")
            checkEq(h.search().segments("story", 1000u).size, 120, "all searchable")
        }
    }

    test("a real clip streamed through a session is transcribed on the device") {
        val models = System.getenv("HEIRLOOM_MODELS") ?: error("HEIRLOOM_MODELS is not set")
        val wav = Files.readAllBytes(Path.of(models, "samples", "jfk.wav"))
        val samples = pcm16(wav)
        Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
            val session = h.recorder().start(16000u, 1u)
            // 100 ms frames, as a phone's audio callback delivers them.
            samples.chunked(1600).forEach { session.pushI16(it) }
            val voice = session.stop("A speech Papa loved")
            checkEq(voice.recording.durationMs, 11000L, "whole clip recorded")
            val transcriber = h.transcriber(models)
            check(transcriber.hasModel(SpeechModelKind.TINY_EN), "tiny.en installed")
            val progress = java.util.Collections.synchronizedList(mutableListOf<Long>())
            val heard = java.util.Collections.synchronizedList(mutableListOf<String>())
            val listener = object : TranscriptionListener {
                override fun onProgress(doneMs: ULong, totalMs: ULong?) { progress.add(doneMs.toLong()) }
                override fun onSegment(segment: HeardSegment) { heard.add(segment.text) }
            }
            val result = transcriber.transcribeRecording(
                voice.recording.id, TranscribeConfig(SpeechModelKind.TINY_EN, null, 1u), listener, CancelHandle())
            checkEq(words(result.heard.joinToString(" ") { it.text }), JFK_WORDS, "word-perfect transcript")
            checkEq(result.model, "tiny.en", "model named")
            checkEq(heard.size, result.heard.size, "segments streamed to the listener")
            check(progress.size >= 2 && progress.last() == 11000L, "progress reaches the end")
            check(result.heard.all { it.confidence > 0f && it.confidence <= 1f }, "confidences in range")
            val stored = h.memories().detail(voice.memory.id)
            checkEq(words(stored.segments.joinToString(" ") { it.userText ?: it.machineText }), JFK_WORDS, "stored in the graph")
            checkEq(stored.recordings[0].transcriptModel, "tiny.en", "recording knows its model")
            checkEq(h.search().segments("fellow americans", 5u).size, 1, "searchable")

            // Cancel from another thread while a long recording is being transcribed.
            val long = h.recorder().start(16000u, 1u)
            repeat(8) { samples.chunked(1600).forEach { long.pushI16(it) } }
            val longVoice = long.stop("Long")
            val cancel = CancelHandle()
            val pool = Executors.newSingleThreadExecutor()
            val job = pool.submit<Throwable?> {
                try {
                    transcriber.transcribeRecording(longVoice.recording.id, TranscribeConfig(SpeechModelKind.TINY_EN, null, 1u), null, cancel)
                    null
                } catch (e: Throwable) { e }
            }
            Thread.sleep(500)
            val asked = System.nanoTime()
            cancel.cancel()
            val error = job.get(60, TimeUnit.SECONDS)
            val tookMs = (System.nanoTime() - asked) / 1_000_000
            pool.shutdown()
            check(error is ApiException.Cancelled, "cancelled job ends with Cancelled (got $error)")
            check(tookMs < 1000, "cancel took effect within a second (${tookMs} ms)")
            check(!transcriber.setDeviceConditions(false, true), "on battery: no background work")
            val idle = transcriber.runBackground(SpeechModelKind.BASE, 10u)
            check(idle.interrupted && idle.done.isEmpty(), "background run waits for the charger")
            checkThrows<ApiException.InvalidInput>("tiny.en refuses German") {
                transcriber.transcribeRecording(voice.recording.id, TranscribeConfig(SpeechModelKind.TINY_EN, "de", 1u), null, CancelHandle())
            }
            checkThrows<ApiException.ModelUnavailable>("missing models directory") {
                h.transcriber(tempDir()).transcribeRecording(voice.recording.id, TranscribeConfig(SpeechModelKind.TINY_EN, null, 1u), null, CancelHandle())
            }
        }
    }

    test("a three-turn interview reads facts, steers questions and respects boundaries") {
        val models = System.getenv("HEIRLOOM_MODELS") ?: error("HEIRLOOM_MODELS is not set")
        Heirloom.open(tempDir(), fileKeyStore(tempDir() + "/keys")).use { h ->
            val loaded = h.loadUnderstanding(models)
            check(loaded.lexicon && loaded.semantic, "lexicon and embedding model loaded")
            checkEq(h.search().capabilities().semantic, true, "semantic search available")
            val facts = h.facts()
            facts.setProfile(OwnerProfile(null, 1941, listOf("en")))
            val interview = h.interview()
            val first = interview.nextQuestion(null, 7uL)
            checkEq(first.reasonKind, ReasonKind.OPENING, "an empty graph opens the story")
            check(first.reason.isNotBlank(), "the reason is there to show")
            val one = interview.answerText(first.id, "I was born in Naples in 1941. My grandmother Rosa raised me.")
            checkEq(interview.questionFor(one.memory.id)?.id, first.id, "answer linked to its question")
            val heard = facts.forMemory(one.memory.id)
            val rosa = heard.firstOrNull { it.entity.kind == EntityKind.PERSON }
            checkEq(rosa?.entity?.displayName, "Rosa", "person read from the answer")
            checkEq(rosa?.entity?.attributes?.relationToOwner, "grandmother", "with her relation")
            check(heard.any { val d = it.detail; d is Fact.Place && d.name == "Naples" }, "place read")
            check(heard.any { it.yearFrom == 1941 && it.yearTo == 1941 }, "year read")
            val second = interview.nextQuestion(one.memory.id, 7uL)
            check(second.id != first.id && second.key != first.key, "a new question")
            val two = interview.answerText(second.id, "My late husband Tom and I ran a bakery on Water Street. I miss him.")
            val tom = facts.forMemory(two.memory.id).first { it.detail is Fact.Person }
            check((tom.detail as Fact.Person).deceased, "deceased flag read")
            h.people().setAttributes(tom.entity.id, EntityAttributes("husband", null, true, true))
            interview.setTopicSensitive("war", true)
            checkEq(interview.sensitiveTopics(), listOf("war"), "topic marked sensitive")
            val third = interview.nextQuestion(two.memory.id, 7uL)
            check(third.entityId != tom.entity.id && !third.text.contains("Tom"), "a sensitive person is never raised")
            check(!third.key.startsWith("topic:war"), "a sensitive topic is never raised")
            val bread = interview.answerText(third.id, "We sold bread and cakes every morning.")
            interview.setBereavementMode(true)
            val rest = interview.nextQuestion(null, 7uL)
            checkEq(rest.reasonKind, ReasonKind.PAUSE, "bereavement mode: a pause after three questions in an hour")
            val sad = interview.answerText(rest.id, "He died in the winter and I cried for weeks. It was the saddest time.")
            check(interview.nextQuestion(sad.memory.id, 7uL).gentle, "only gentle questions after a sad answer")
            val hits = h.search().hybrid("baking", 5u)
            check(hits.take(2).map { it.memoryId }.toSet() == setOf(two.memory.id, bread.memory.id), "search by meaning finds the baking stories")
            check(h.search().related(one.memory.id, 3u).isNotEmpty(), "related memories")
            check(interview.topics().any { it.key == "war" }, "topics listed")
            checkThrows<ApiException.NotFound>("answering an unknown question") { interview.answerText(99999, "x") }
            checkThrows<ApiException.InvalidInput>("an unknown topic") { interview.setTopicSensitive("nope", true) }
        }
    }

    test("a memory shared with the family opens on a member's device") {
        val enclaveUrl = System.getenv("HEIRLOOM_ENCLAVE_URL") ?: error("HEIRLOOM_ENCLAVE_URL is not set")
        val enclaveKey = System.getenv("HEIRLOOM_ENCLAVE_KEY") ?: error("HEIRLOOM_ENCLAVE_KEY is not set")
        Heirloom.open(tempDir(), MemoryKeyStore()).use { phone ->
            Heirloom.open(tempDir(), MemoryKeyStore()).use { h ->
                val invite = phone.family().invite("Anna", MemberRole.GUARDIAN)
                check(invite.startsWith("HLINVITE1"), "an invite string")
                val added = h.family().add(invite)
                checkEq(added.name to added.role, "Anna" to MemberRole.GUARDIAN, "member added")
                checkThrows<ApiException.InvalidInput>("a mistyped invite") { h.family().add(invite.dropLast(1) + (if (invite.last() == 'Q') "P" else "Q")) }
                val memory = h.memories().addText("The lake", "We swam every morning before breakfast.", null).memory
                checkThrows<ApiException.ConsentRequired>("no consent, no share") { h.family().share(memory.id, false) }
                val policy = ConsentPolicy("GB", "Heirloom", "privacy@heirloom.example", "https://heirloom.example/privacy", "2026-11", "en")
                h.consent(policy).give(memory.id, Purpose.SHARE_WITH_FAMILY, null)
                val outbox = h.outbox(EnclaveConfig(enclaveUrl, listOf(enclaveKey), 65536uL))
                checkThrows<ApiException.InvalidInput>("shares never go to the enclave") { outbox.enqueue(memory.id, Purpose.SHARE_WITH_FAMILY) }
                val item = h.family().share(memory.id, false)
                val quiet = object : OutboxProgress {
                    override fun onProgress(itemId: Long, acked: ULong, total: ULong) {}
                    override fun onState(itemId: Long, state: ItemState) {}
                }
                checkEq(outbox.run(quiet, CancelHandle(), 60_000uL).uploaded, 1u, "the share uploaded")
                val proof = outbox.receipts().single()
                checkEq(proof.plaintextSha256, null, "the enclave could not open it")
                val manifest = h.family().manifest(item, listOf(enclaveKey))
                check(!manifest.contains("swam"), "no content in the manifest")
                val sharer = h.identity().publicKeys().verifyingKey
                val got = phone.family().receive(manifest, sharer, ShareSource(enclaveUrl, listOf(enclaveKey)))
                checkEq(got.entries.map { it.name }, listOf("memory.json"), "a typed memory: its JSON")
                val json = String(phone.family().readEntry(got.sealedPath, "memory.json"))
                check(json.contains("We swam every morning before breakfast."), "opened on the member's device")
                checkThrows<ApiException.EnclaveUntrusted>("signed by someone else") {
                    phone.family().receive(manifest, phone.identity().publicKeys().verifyingKey, ShareSource(enclaveUrl, listOf(enclaveKey)))
                }
                checkEq(h.family().remove(added.id), true, "removed")
                checkEq(h.family().members().single().removedAtMs != null, true, "listed as removed")
            }
        }
    }

    test("consent by the owner and a proxy, an upload through the enclave, revocation and erasure") {
        val enclaveUrl = System.getenv("HEIRLOOM_ENCLAVE_URL") ?: error("HEIRLOOM_ENCLAVE_URL is not set")
        val enclaveKey = System.getenv("HEIRLOOM_ENCLAVE_KEY") ?: error("HEIRLOOM_ENCLAVE_KEY is not set")
        val keys = MemoryKeyStore()
        Heirloom.open(tempDir(), keys).use { h ->
            val owner = h.identity().publicKeys()
            check(owner.recipient.startsWith("age1"), "owner has an age recipient")
            check(keys.keys.containsKey("owner/identity-seed"), "the seed lives in the app's key store")
            val policy = ConsentPolicy("GB", "Heirloom", "privacy@heirloom.example", "https://heirloom.example/privacy", "2026-11", "en")
            val consent = h.consent(policy)
            val memory = h.memories().addText("The lake", "We swam every morning before breakfast.", null).memory
            val outbox = h.outbox(EnclaveConfig(enclaveUrl, listOf(enclaveKey), 65536uL))
            checkThrows<ApiException.ConsentRequired>("no consent, no upload") { outbox.enqueue(memory.id, Purpose.ENCRYPTED_BACKUP) }
            val grant = consent.give(memory.id, Purpose.ENCRYPTED_BACKUP, null)
            checkEq(grant.signer, owner.verifyingKey, "the owner signed")
            check(grant.documentJson.contains("KI-CR-v1.1.0") && !grant.documentJson.contains("swam"), "a Kantara receipt without the story")
            val proxy = consent.giveAsProxy(memory.id, Purpose.RESEARCH, "daughter-anna", "daughter", "advanced dementia; power of attorney 2024")
            checkEq(proxy.proxyRelation, "daughter", "proxy relation recorded")
            check(proxy.signer != owner.verifyingKey, "a proxy signs with their own key")
            check(keys.keys.containsKey("proxy/daughter-anna"), "the proxy key lives in the app's key store")
            val queued = outbox.enqueue(memory.id, Purpose.ENCRYPTED_BACKUP)
            checkEq(queued.state, ItemState.QUEUED, "queued")
            val states = mutableListOf<ItemState>()
            var lastProgress = 0uL
            val progress = object : OutboxProgress {
                override fun onProgress(itemId: Long, acked: ULong, total: ULong) { lastProgress = acked; check(acked <= total, "progress within total") }
                override fun onState(itemId: Long, state: ItemState) { states.add(state) }
            }
            val run = outbox.run(progress, CancelHandle(), 60_000uL)
            checkEq(run.uploaded, 1u, "one upload")
            checkEq(states, listOf(ItemState.SEALED, ItemState.UPLOADED), "state changes heard")
            check(lastProgress > 0uL, "progress heard")
            val proofs = outbox.receipts()
            checkEq(proofs.size, 1, "one receipt")
            checkEq(proofs[0].consentReceiptId, grant.receiptId, "receipt names the consent")
            checkEq(proofs[0].erasedAt, null, "not erased yet")
            val revocation = consent.revoke(memory.id, Purpose.ENCRYPTED_BACKUP)
            check(revocation.isRevocation && revocation.revokes == grant.receiptId, "revocation ends the grant")
            val asked = outbox.erasures()
            checkEq(asked.size, 1, "the revocation queued an erasure request")
            checkEq(asked[0].state, ErasureState.PENDING, "erasure pending before the run")
            checkEq(asked[0].revocationReceiptId, revocation.receiptId, "erasure names the revocation")
            checkEq(outbox.retryErasure(asked[0].id), false, "only refused erasures are retried")
            checkEq(consent.live(memory.id, Purpose.ENCRYPTED_BACKUP), null, "no live consent after revoking")
            val erase = outbox.run(progress, CancelHandle(), 60_000uL)
            checkEq(erase.erased, 1u, "erasure sent")
            val after = outbox.receipts()[0]
            check(after.erasedAt != null && after.erasureReceiptJson!!.contains(queued.uploadId), "erasure receipt held")
            checkEq(outbox.entries()[0].state, ItemState.ERASED, "item erased")
            checkEq(outbox.erasures()[0].state, ErasureState.DONE, "erasure done")
            checkEq(consent.history(memory.id).size, 3, "grant, proxy grant and revocation in the history")
            outbox.setPaused(true)
            check(outbox.isPaused(), "paused")
            outbox.setPaused(false)
            // An app that pins another key refuses the enclave's bundle: nothing is sealed.
            val memory2 = h.memories().addText("Another", "Text.", null).memory
            consent.give(memory2.id, Purpose.AI_TRAINING, null)
            val stranger = h.outbox(EnclaveConfig(enclaveUrl, listOf(owner.verifyingKey), 65536uL))
            val other = stranger.enqueue(memory2.id, Purpose.AI_TRAINING)
            val refused = stranger.run(progress, CancelHandle(), 300uL)
            checkEq(refused.uploaded, 0u, "nothing uploaded to an unpinned enclave")
            val entry = stranger.entries().first { it.id == other.id }
            checkEq(entry.state, ItemState.QUEUED, "still queued, not sealed")
            checkEq(entry.lastError, "enclave refused", "the refusal is recorded")
            checkThrows<ApiException.Corrupt>("a mistyped recovery code") { h.identity().restore("HEIRLOOM1 QQQQQ") }
        }
    }

    learningTests()
    kioskTests()

    println("kotlin: $passed passed, $failed failed")
    if (failed > 0 || passed < 20) kotlin.system.exitProcess(1)
}
