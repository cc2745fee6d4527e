// XCTest suite for the Heirloom Swift bindings, run against the built libheirloom with
// `swift test` (see ios/README.md). It mirrors tests/kotlin/HeirloomTest.kt: every public object
// is exercised through the generated Swift API, with a key store implemented in Swift.

import Foundation
import XCTest
import Heirloom

/// An in-memory key store implemented in Swift: exercises UniFFI's foreign-trait path.
final class MemoryKeyStore: KeyStore, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: Data] = [:]
    private var loadCount = 0

    func load(name: String) throws -> Data? {
        lock.lock()
        defer { lock.unlock() }
        loadCount += 1
        return keys[name]
    }

    func store(name: String, secret: Data) throws {
        lock.lock()
        defer { lock.unlock() }
        keys[name] = secret
    }

    /// Sets a key directly, as another device or a tampered store would.
    func put(_ name: String, _ secret: Data) {
        lock.lock()
        defer { lock.unlock() }
        keys[name] = secret
    }

    /// Everything stored so far.
    var snapshot: [String: Data] {
        lock.lock()
        defer { lock.unlock() }
        return keys
    }

    /// How many times Rust asked for a key.
    var loads: Int {
        lock.lock()
        defer { lock.unlock() }
        return loadCount
    }
}

/// A key store whose platform storage is broken (a locked keychain, say).
final class FailingKeyStore: KeyStore {
    func load(name: String) throws -> Data? {
        throw ApiError.KeyStore(reason: "keychain locked")
    }

    func store(name: String, secret: Data) throws {
        throw ApiError.KeyStore(reason: "keychain locked")
    }
}

/// Counts failures from several threads.
final class ErrorLog: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []

    func add(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        errors.append(error)
    }

    var all: [Error] {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }
}

let jfkWords = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"

/// Lowercase words without punctuation.
func words(_ text: String) -> String {
    text.split(whereSeparator: { $0.isWhitespace })
        .map { String($0.filter { $0.isLetter || $0.isNumber }).lowercased() }
        .filter { !$0.isEmpty }
        .joined(separator: " ")
}

/// The 16-bit samples of a PCM WAV file's data chunk.
func pcm16(_ wav: Data) -> [Int16] {
    let bytes = [UInt8](wav)
    func u32(_ at: Int) -> Int {
        Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    }
    var pos = 12
    while pos + 8 <= bytes.count {
        let id = String(bytes: bytes[pos..<pos + 4], encoding: .ascii)
        let len = u32(pos + 4)
        if id == "data" {
            let end = min(pos + 8 + len, bytes.count)
            return stride(from: pos + 8, to: end - 1, by: 2).map {
                Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
            }
        }
        pos += 8 + len + (len & 1)
    }
    return []
}

/// Records a transcription's progress.
final class ProgressLog: TranscriptionListener, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var lastDone: UInt64 = 0
    private(set) var segments = 0

    func onProgress(doneMs: UInt64, totalMs: UInt64?) {
        lock.lock(); defer { lock.unlock() }
        lastDone = doneMs
    }

    func onSegment(segment: HeardSegment) {
        lock.lock(); defer { lock.unlock() }
        segments += 1
    }
}

final class HeirloomTests: XCTestCase {
    private var directories: [URL] = []

    override func tearDown() {
        for directory in directories {
            try? FileManager.default.removeItem(at: directory)
        }
        directories = []
        super.tearDown()
    }

    // MARK: - Helpers

    /// A fresh, empty directory removed after the test.
    private func tempDir() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("heirloom-swift-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        directories.append(url)
        return url.path
    }

    /// A Heirloom in a fresh directory, with a fresh in-memory key store.
    private func openFresh() throws -> Heirloom {
        try Heirloom.open(dataDir: try tempDir(), keyStore: MemoryKeyStore())
    }

    /// The ApiError `body` throws; records a failure if it throws nothing or something else.
    private func thrownApiError<T>(
        _ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line
    ) -> ApiError? {
        do {
            _ = try body()
            XCTFail("expected an ApiError, nothing was thrown", file: file, line: line)
        } catch let error as ApiError {
            return error
        } catch {
            XCTFail("expected an ApiError, got \(error)", file: file, line: line)
        }
        return nil
    }

    private func newMemory(_ title: String, _ about: AboutWhen? = nil, toldAt: Int64 = 0) -> NewMemory {
        NewMemory(title: title, toldAtMs: toldAt, source: .voice, aboutWhen: about, aboutStatus: .inferred)
    }

    private func person(_ name: String, relation: String? = nil, deceased: Bool = false) -> NewEntity {
        NewEntity(
            kind: .person, displayName: name, aliases: [],
            attributes: EntityAttributes(relationToOwner: relation, birthYear: nil, deceased: deceased, sensitive: false),
            status: .inferred)
    }

    /// The span of `words` in a segment's text, in Unicode scalars (Rust's `char` offsets).
    private func span(of words: String, in segment: Segment) throws -> Span {
        let text = segment.userText ?? segment.machineText
        let range = try XCTUnwrap(text.range(of: words), "'\(words)' not in '\(text)'")
        let start = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: range.lowerBound)
        let end = start + words.unicodeScalars.count
        return Span(segmentId: segment.id, charStart: UInt32(start), charEnd: UInt32(end))
    }

    /// The text a highlight covers, counting Unicode scalars as Rust does.
    private func highlighted(_ range: TextRange, in snippet: String) -> String {
        let scalars = Array(snippet.unicodeScalars)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[Int(range.start)..<Int(range.end)])
        return String(view)
    }

    private func randomKey() -> Data {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    // MARK: - Opening and keys

    func testOpenAndReopenWithTheSameKey() throws {
        let dir = try tempDir()
        let keys = MemoryKeyStore()
        do {
            let heirloom = try Heirloom.open(dataDir: dir, keyStore: keys)
            _ = try heirloom.memories().addText(title: "First", text: "hello", aboutWhen: nil)
            heirloom.shutdown()
        }
        XCTAssertEqual(keys.snapshot.count, 1, "one key stored")
        XCTAssertEqual(keys.snapshot.values.first?.count, 32, "a 32-byte key")

        let reopened = try Heirloom.open(dataDir: dir, keyStore: keys)
        XCTAssertEqual(try reopened.memories().list(offset: 0, limit: 10).map(\.title), ["First"])
        XCTAssertGreaterThanOrEqual(keys.loads, 2, "the key was loaded from the Swift key store")
    }

    func testWrongKeyMissingKeyAndFailingKeyStoreAreTypedErrors() throws {
        let dir = try tempDir()
        let keys = MemoryKeyStore()
        do {
            let heirloom = try Heirloom.open(dataDir: dir, keyStore: keys)
            _ = try heirloom.memories().addText(title: "Secret", text: "text", aboutWhen: nil)
            heirloom.shutdown()
        }

        // Another key store holding a different 32-byte key under every name the first one has.
        let other = MemoryKeyStore()
        for (name, key) in keys.snapshot {
            var different = randomKey()
            while different == key { different = randomKey() }
            other.put(name, different)
        }
        XCTAssertFalse(other.snapshot.isEmpty)
        XCTAssertEqual(thrownApiError { try Heirloom.open(dataDir: dir, keyStore: other) }, .WrongKey)

        XCTAssertEqual(thrownApiError { try Heirloom.open(dataDir: dir, keyStore: MemoryKeyStore()) }, .KeyMissing)

        let short = MemoryKeyStore()
        for name in keys.snapshot.keys { short.put(name, Data(count: 5)) }
        guard case .KeyStore? = thrownApiError({ try Heirloom.open(dataDir: dir, keyStore: short) }) else {
            return XCTFail("a malformed key is a KeyStore error")
        }
        let failing = thrownApiError { try Heirloom.open(dataDir: try self.tempDir(), keyStore: FailingKeyStore()) }
        guard case .KeyStore(let reason)? = failing else {
            return XCTFail("a failing key store is a KeyStore error, got \(String(describing: failing))")
        }
        XCTAssertTrue(reason.contains("keychain locked"), reason)

        // The right key still opens it.
        let again = try Heirloom.open(dataDir: dir, keyStore: keys)
        XCTAssertEqual(try again.life().coverage().memories, 1)
    }

    func testFileKeyStoreFromRust() throws {
        let dir = try tempDir()
        let keyFile = "\(dir)/keys"
        do {
            let heirloom = try Heirloom.open(dataDir: "\(dir)/data", keyStore: fileKeyStore(path: keyFile))
            _ = try heirloom.memories().addText(title: "T", text: "x", aboutWhen: nil)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: keyFile), "key file written")
        let reopened = try Heirloom.open(dataDir: "\(dir)/data", keyStore: fileKeyStore(path: keyFile))
        XCTAssertEqual(try reopened.life().coverage().memories, 1)
    }

    // MARK: - Memories

    func testWholeMemoryLifecycle() throws {
        let heirloom = try openFresh()
        let memories = heirloom.memories()

        let added = try memories.addText(
            title: "Wedding day", text: "We married in June.\n\n   \nIt rained all day.",
            aboutWhen: .day(year: 1962, month: 6, day: 16))
        XCTAssertEqual(added.memory.title, "Wedding day")
        XCTAssertEqual(added.memory.source, .text)
        XCTAssertEqual(added.memory.aboutWhen, .day(year: 1962, month: 6, day: 16), "the date round-trips")
        XCTAssertEqual(added.segments.map(\.machineText), ["We married in June.", "It rained all day."],
                       "one segment per non-blank line")
        XCTAssertEqual(added.segments.map(\.ordinal), [0, 1])

        let id = added.memory.id
        XCTAssertEqual(try memories.detail(id: id), added, "detail matches what addText returned")
        XCTAssertEqual(try memories.get(id: id), added.memory)
        XCTAssertEqual(try memories.list(offset: 0, limit: 10).map(\.id), [id])

        let edited = try memories.editSegment(segmentId: added.segments[1].id, userText: "It poured all day.")
        XCTAssertEqual(edited.machineText, "It rained all day.", "the machine text is kept")
        XCTAssertEqual(edited.userText, "It poured all day.", "the correction is kept apart")

        let more = try memories.addSegments(
            memoryId: id, recordingId: nil,
            segments: [NewSegment(startMs: 0, endMs: 1500, text: "We danced.", confidence: 0.8)])
        XCTAssertEqual(more.map(\.ordinal), [2])
        XCTAssertEqual(try memories.segments(memoryId: id).count, 3)

        let updated = try memories.update(id: id, changes: MemoryChanges(title: "Our wedding", clearAboutWhen: true))
        XCTAssertEqual(updated.title, "Our wedding")
        XCTAssertNil(updated.aboutWhen, "the date was cleared")
        let dated = try memories.update(id: id, changes: MemoryChanges(aboutWhen: .year(year: 1962)))
        XCTAssertEqual(dated.title, "Our wedding", "unset fields stay as they are")
        XCTAssertEqual(dated.aboutWhen, .year(year: 1962))

        let detail = try memories.detail(id: id)
        XCTAssertEqual(detail.segments.count, 3)
        XCTAssertEqual(detail.segments[1].userText, "It poured all day.")

        let deleted = try memories.delete(id: id)
        XCTAssertEqual(deleted.removedFiles, [])
        XCTAssertEqual(deleted.filesLeft, [])
        guard case .NotFound(_, let missing)? = thrownApiError({ try memories.get(id: id) }) else {
            return XCTFail("a deleted memory is NotFound")
        }
        XCTAssertEqual(missing, id)
        XCTAssertEqual(try memories.list(offset: 0, limit: 10), [])
    }

    func testInvalidInputIsATypedError() throws {
        let memories = try openFresh().memories()
        guard case .InvalidInput? = thrownApiError({ try memories.create(memory: self.newMemory("   ")) }) else {
            return XCTFail("a blank title is InvalidInput")
        }
        let impossible = newMemory("x", .day(year: 1900, month: 2, day: 29))
        guard case .InvalidInput? = thrownApiError({ try memories.create(memory: impossible) }) else {
            return XCTFail("29 February 1900 is InvalidInput")
        }
        let memory = try memories.create(memory: newMemory("ok"))
        let backwards = [NewSegment(startMs: 10, endMs: 5, text: "x", confidence: 0.5)]
        guard case .InvalidInput? = thrownApiError({
            try memories.addSegments(memoryId: memory.id, recordingId: nil, segments: backwards)
        }) else {
            return XCTFail("a segment ending before it starts is InvalidInput")
        }
        guard case .NotFound? = thrownApiError({ try memories.detail(id: 424_242) }) else {
            return XCTFail("an unknown memory is NotFound")
        }
    }

    // MARK: - People

    func testPeopleMentionsRelationsAndThePersonView() throws {
        let heirloom = try openFresh()
        let detail = try heirloom.memories().addText(
            title: "Bakery", text: "Grandma Rosa and Tom opened the bakery in Napoli.", aboutWhen: .year(year: 1948))
        let segment = try XCTUnwrap(detail.segments.first)
        let people = heirloom.people()

        let rosa = try people.create(entity: person("Rosa", relation: "grandmother", deceased: true))
        let tom = try people.create(entity: person("Tom"))
        XCTAssertEqual(rosa.kind, .person)
        XCTAssertEqual(rosa.status, .inferred)

        let mention = try people.linkMention(
            entityId: rosa.id, span: try span(of: "Grandma Rosa", in: segment), confidence: 0.9, status: .inferred)
        XCTAssertEqual(mention.quote, "Grandma Rosa", "the quote is read from the span")
        XCTAssertEqual(mention.memoryId, detail.memory.id)
        _ = try people.linkMention(
            entityId: tom.id, span: try span(of: "Tom", in: segment), confidence: 0.9, status: .confirmed)
        let relation = try people.addRelation(relation: NewRelation(
            subjectId: rosa.id, objectId: tom.id, kind: "married to",
            provenance: try span(of: "Rosa and Tom", in: segment), confidence: 0.6, status: .inferred))
        XCTAssertEqual(relation.kind, "married to")

        let view = try people.person(id: rosa.id)
        XCTAssertEqual(view.entity.attributes.relationToOwner, "grandmother")
        XCTAssertTrue(view.entity.attributes.deceased)
        XCTAssertEqual(view.memories.map(\.id), [detail.memory.id])
        XCTAssertEqual(view.mentions.map(\.quote), ["Grandma Rosa"])
        XCTAssertEqual(view.relations.count, 1)
        XCTAssertEqual(view.relations.first?.other.displayName, "Tom")
        XCTAssertEqual(view.relations.first?.direction, .outgoing)
        XCTAssertEqual(try people.view(id: tom.id).relations.first?.direction, .incoming)

        _ = try people.addAlias(id: rosa.id, alias: "Nonna")
        XCTAssertEqual(try people.list(kind: .person, name: "nonna").map(\.id), [rosa.id], "found by alias")
        let renamed = try people.rename(id: tom.id, displayName: "Thomas")
        XCTAssertEqual(renamed.displayName, "Thomas")
        XCTAssertTrue(renamed.aliases.contains("Tom"), "the old name is kept as an alias")
        XCTAssertEqual(try people.setStatus(id: tom.id, status: .confirmed).status, .confirmed)

        let outside = Span(segmentId: segment.id, charStart: 500, charEnd: 510)
        guard case .InvalidInput? = thrownApiError({
            try people.linkMention(entityId: tom.id, span: outside, confidence: 0.5, status: .inferred)
        }) else {
            return XCTFail("a span outside its segment is InvalidInput")
        }
        let place = try people.create(entity: NewEntity(
            kind: .place, displayName: "Napoli", aliases: [],
            attributes: EntityAttributes(relationToOwner: nil, birthYear: nil, deceased: false, sensitive: false),
            status: .confirmed))
        guard case .InvalidInput? = thrownApiError({ try people.person(id: place.id) }) else {
            return XCTFail("the person view of a place is InvalidInput")
        }
    }

    // MARK: - Search

    func testSearchWithDiacriticsCJKAndHighlights() throws {
        let heirloom = try openFresh()
        let memory = try heirloom.memories().addText(
            title: "Travels", text: "We took the night train to Zürich with José.\n我在北京长大。", aboutWhen: nil)
        let search = heirloom.search()

        let hits = try search.segments(query: "zurich jose", limit: 10)
        XCTAssertEqual(hits.count, 1)
        let hit = try XCTUnwrap(hits.first)
        XCTAssertEqual(hit.memoryId, memory.memory.id)
        XCTAssertEqual(hit.memoryTitle, "Travels")
        XCTAssertEqual(hit.segmentId, memory.segments[0].id)
        XCTAssertEqual(hit.highlights.map { highlighted($0, in: hit.snippet) }, ["Zürich", "José"],
                       "highlights are Unicode-scalar offsets into the snippet")

        XCTAssertEqual(try search.segments(query: "北京", limit: 10).map(\.segmentId), [memory.segments[1].id])
        XCTAssertEqual(try search.segments(query: "\"NEAR(", limit: 10), [], "a hostile query is just words")
        XCTAssertEqual(try search.segments(query: "absent", limit: 10), [])
    }

    // MARK: - Merges

    func testMergeProposeAcceptAndUndo() throws {
        let heirloom = try openFresh()
        let segment = try XCTUnwrap(try heirloom.memories().addText(
            title: "Kitchen", text: "My grandmother sang while Rosa rolled pasta.", aboutWhen: nil).segments.first)
        let people = heirloom.people()
        let grandmother = try people.create(entity: person("my grandmother", relation: "grandmother"))
        let rosa = try people.create(entity: person("Rosa"))
        _ = try people.linkMention(
            entityId: grandmother.id, span: try span(of: "My grandmother", in: segment), confidence: 0.7, status: .inferred)
        _ = try people.linkMention(
            entityId: rosa.id, span: try span(of: "Rosa", in: segment), confidence: 0.9, status: .inferred)

        let merges = heirloom.merges()
        let proposal = try merges.propose(keepId: rosa.id, mergeId: grandmother.id, score: 0.8)
        XCTAssertEqual(proposal.state, .proposed)
        XCTAssertEqual(proposal.keep.id, rosa.id)
        XCTAssertEqual(proposal.merge.id, grandmother.id)
        XCTAssertEqual(try merges.list(state: .proposed).map(\.id), [proposal.id])

        XCTAssertEqual(try merges.accept(id: proposal.id).state, .accepted)
        let merged = try people.person(id: rosa.id)
        XCTAssertEqual(merged.mentions.count, 2, "the mentions moved")
        XCTAssertEqual(merged.entity.attributes.relationToOwner, "grandmother", "the attribute was carried")
        XCTAssertEqual(try people.get(id: grandmother.id).id, rosa.id, "the old id resolves to the kept entity")
        XCTAssertEqual(try people.list(kind: .person, name: nil).count, 1)

        XCTAssertEqual(try merges.undo(id: proposal.id).state, .undone)
        XCTAssertEqual(try people.person(id: grandmother.id).mentions.map(\.quote), ["My grandmother"])
        XCTAssertNil(try people.person(id: rosa.id).entity.attributes.relationToOwner, "the attribute is restored")
        XCTAssertEqual(try people.list(kind: .person, name: nil).count, 2)
        guard case .Conflict? = thrownApiError({ try merges.undo(id: proposal.id) }) else {
            return XCTFail("undoing twice is a Conflict")
        }
        guard case .InvalidInput? = thrownApiError({ try merges.propose(keepId: rosa.id, mergeId: rosa.id, score: 0.5) }) else {
            return XCTFail("merging an entity with itself is InvalidInput")
        }
        let second = try merges.propose(keepId: rosa.id, mergeId: grandmother.id, score: 0.4)
        XCTAssertEqual(try merges.reject(id: second.id).state, .rejected)
    }

    // MARK: - Life

    func testTimelineAndCoverage() throws {
        let heirloom = try openFresh()
        let memories = heirloom.memories()
        let sixties = try memories.create(memory: newMemory("sixties", .decade(start: 1960)))
        let war = try memories.create(memory: newMemory("war", .yearRange(from: 1939, to: 1945)))
        let child = try memories.create(memory: newMemory("child", .lifeStage(stage: .childhood)))
        let undated = try memories.create(memory: newMemory("undated"))

        let timeline = try heirloom.life().timeline(offset: 0, limit: 50)
        XCTAssertEqual(timeline.dated.map(\.id), [war.id, sixties.id, child.id], "dated order")
        XCTAssertEqual(timeline.undated.map(\.id), [undated.id], "undated kept apart")
        XCTAssertEqual(timeline.datedTotal, 3)
        XCTAssertEqual(timeline.undatedTotal, 1)
        XCTAssertEqual(try heirloom.life().timeline(offset: 1, limit: 1).dated.map(\.id), [sixties.id], "paging")

        let rosa = try heirloom.people().create(entity: person("Rosa"))
        XCTAssertEqual(rosa.kind, .person)
        let coverage = try heirloom.life().coverage()
        XCTAssertEqual(coverage.memories, 4)
        XCTAssertEqual(coverage.datedMemories, 3)
        XCTAssertEqual(coverage.undatedMemories, 1)
        XCTAssertEqual(coverage.memoriesByDecade.map(\.decade), [1930, 1960])
        XCTAssertEqual(coverage.entities.first { $0.kind == .person }?.count, 1)
        XCTAssertEqual(coverage.entities.first { $0.kind == .place }?.count, 0)
    }

    // MARK: - Recording

    func testARecordingSessionStreamsAudioIntoAVoiceMemory() throws {
        let dir = try tempDir()
        let heirloom = try Heirloom.open(dataDir: dir, keyStore: MemoryKeyStore())
        let recorder = heirloom.recorder()
        let session = try recorder.start(sampleRate: 16000, channels: 1)
        // 2.5 s of a 440 Hz tone, pushed in 100 ms frames as a phone's audio callback would.
        let tenth: [Int16] = (0..<1600).map { i in
            Int16(8000 * sin(2 * Double.pi * 440 * Double(i) / 16000))
        }
        for _ in 0..<25 { try session.pushI16(samples: tenth) }
        XCTAssertEqual(try session.durationMs(), 2500, "duration while recording")

        let voice = try session.stop(title: "Papa's voice")
        XCTAssertEqual(voice.memory.source, .voice, "a voice memory")
        XCTAssertEqual(voice.memory.title, "Papa's voice")
        XCTAssertEqual(voice.recording.memoryId, voice.memory.id)
        XCTAssertEqual(voice.recording.durationMs, 2500, "the stored duration")
        XCTAssertEqual(voice.recording.sampleRate, 16000)
        XCTAssertTrue(voice.recording.audioPath.hasPrefix("audio/"), "audio under audio/: \(voice.recording.audioPath)")
        guard case .Conflict? = thrownApiError({ try session.pushI16(samples: tenth) }) else {
            return XCTFail("pushing after stop is a Conflict")
        }
        XCTAssertEqual(try heirloom.memories().detail(id: voice.memory.id).recordings, [voice.recording],
                       "the recording is listed with its memory")

        let file = URL(fileURLWithPath: dir).appendingPathComponent(voice.recording.audioPath)
        let bytes = try Data(contentsOf: file)
        XCTAssertGreaterThan(bytes.count, 80_000, "the audio is on disk")
        var pcm = Data()
        for sample in tenth.prefix(32) {
            withUnsafeBytes(of: sample.littleEndian) { pcm.append(contentsOf: $0) }
        }
        XCTAssertNil(bytes.range(of: pcm), "no plain PCM in the file")

        let cancelled = try recorder.start(sampleRate: 48000, channels: 2)
        try cancelled.pushF32(samples: [Float](repeating: 0.25, count: 9600))
        try cancelled.cancel()
        XCTAssertEqual(try recorder.recover(), [], "nothing to recover after cancel")

        guard case .InvalidInput? = thrownApiError({ try recorder.start(sampleRate: 96000, channels: 1) }) else {
            return XCTFail("an unsupported sample rate is InvalidInput")
        }
        guard case .InvalidInput? = thrownApiError({
            try recorder.start(sampleRate: 16000, channels: 2).pushI16(samples: [1, 2, 3])
        }) else {
            return XCTFail("ragged stereo frames are InvalidInput")
        }
    }

    func testARealClipStreamedThroughASessionIsTranscribed() throws {
        guard let models = ProcessInfo.processInfo.environment["HEIRLOOM_MODELS"] else {
            throw XCTSkip("HEIRLOOM_MODELS is not set (run models/fetch.sh)")
        }
        let wav = try Data(contentsOf: URL(fileURLWithPath: models).appendingPathComponent("samples/jfk.wav"))
        let samples = pcm16(wav)
        let heirloom = try Heirloom.open(dataDir: try tempDir(), keyStore: MemoryKeyStore())
        let session = try heirloom.recorder().start(sampleRate: 16000, channels: 1)
        var at = 0
        while at < samples.count {
            let end = min(at + 1600, samples.count)
            try session.pushI16(samples: Array(samples[at..<end]))
            at = end
        }
        let voice = try session.stop(title: "A speech Papa loved")
        let transcriber = heirloom.transcriber(modelsDir: models)
        XCTAssertTrue(transcriber.hasModel(model: .tinyEn))
        let listener = ProgressLog()
        let result = try transcriber.transcribeRecording(
            recordingId: voice.recording.id,
            config: TranscribeConfig(model: .tinyEn, language: nil, threads: 1),
            listener: listener,
            cancel: CancelHandle())
        XCTAssertEqual(words(result.heard.map { $0.text }.joined(separator: " ")), jfkWords)
        XCTAssertEqual(listener.segments, result.heard.count, "segments streamed to the listener")
        XCTAssertEqual(listener.lastDone, 11_000, "progress reaches the end")
        let stored = try heirloom.memories().detail(id: voice.memory.id)
        XCTAssertEqual(stored.recordings.first?.transcriptModel, "tiny.en")

        let cancel = CancelHandle()
        cancel.cancel()
        guard case .Cancelled? = thrownApiError({
            _ = try transcriber.transcribeRecording(
                recordingId: voice.recording.id,
                config: TranscribeConfig(model: .tinyEn, language: nil, threads: 1),
                listener: nil, cancel: cancel)
        }) else {
            return XCTFail("a cancelled job ends with Cancelled")
        }
    }

    func testAMemoryVideoRendersWithProgressAndIsKept() throws {
        guard let models = ProcessInfo.processInfo.environment["HEIRLOOM_MODELS"] else {
            throw XCTSkip("HEIRLOOM_MODELS is not set (run models/fetch.sh fonts)")
        }
        let heirloom = try Heirloom.open(dataDir: try tempDir(), keyStore: MemoryKeyStore())
        let memory = try heirloom.memories().addText(title: "The orchard", text: "We picked apples.\nThen pears.", aboutWhen: nil)
        let videos = heirloom.videos()
        try videos.useFonts(modelsDir: models)
        final class Frames: RenderListener, @unchecked Sendable {
            var done: UInt64 = 0
            func onProgress(framesDone: UInt64, framesTotal: UInt64) { done = framesDone }
        }
        let frames = Frames()
        let out = try tempDir() + "/orchard.mp4"
        let video = try videos.render(
            memoryId: memory.memory.id,
            request: RenderRequest(outputPath: out, keep: true),
            videoEncoder: nil, audioEncoder: nil, listener: frames, cancel: CancelHandle())
        XCTAssertEqual(video.width, 1280)
        XCTAssertEqual(frames.done, video.frames, "progress to the last frame")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertEqual(UInt64(bytes.count), video.bytes)
        XCTAssertEqual(String(decoding: bytes[4..<8], as: UTF8.self), "ftyp")
        XCTAssertNotNil(video.mediaId, "kept, encrypted, with the memory")
    }

    func testFamilyInvitesMembersAndRemoval() throws {
        let phone = try Heirloom.open(dataDir: try tempDir(), keyStore: MemoryKeyStore())
        let heirloom = try Heirloom.open(dataDir: try tempDir(), keyStore: MemoryKeyStore())
        let invite = try phone.family().invite(name: "Anna", role: .guardian)
        XCTAssertTrue(invite.hasPrefix("HLINVITE1"))
        let member = try heirloom.family().add(invite: invite)
        XCTAssertEqual(member.name, "Anna")
        XCTAssertEqual(member.role, .guardian)
        guard case .InvalidInput? = thrownApiError({ _ = try heirloom.family().add(invite: String(invite.dropLast()) + (invite.last == "Q" ? "P" : "Q")) }) else {
            return XCTFail("a mistyped invite is InvalidInput")
        }
        XCTAssertTrue(try heirloom.family().remove(memberId: member.id))
        XCTAssertNotNil(try heirloom.family().members().first?.removedAtMs)
    }

    func testAnAbandonedSessionIsRecoveredAtTheNextOpen() throws {
        let dir = try tempDir()
        let keys = MemoryKeyStore()
        do {
            let heirloom = try Heirloom.open(dataDir: dir, keyStore: keys)
            do {
                let session = try heirloom.recorder().start(sampleRate: 16000, channels: 1)
                try session.pushI16(samples: (0..<24000).map { Int16($0 % 100) })
                // The app dies without stop(): the session is released here, by its deinit.
            }
            heirloom.shutdown()
        }

        let reopened = try Heirloom.open(dataDir: dir, keyStore: keys)
        let recovered = try reopened.recorder().recover()
        XCTAssertEqual(recovered.count, 1, "one recording recovered")
        let voice = try XCTUnwrap(recovered.first)
        XCTAssertEqual(voice.recording.durationMs, 1500, "every pushed sample kept")
        XCTAssertEqual(voice.memory.title, "Recovered recording", "titled for the owner to rename")
        XCTAssertEqual(voice.memory.source, .voice)
        XCTAssertEqual(try reopened.recorder().recover(), [], "recovered only once")
    }

    // MARK: - Lifecycle and threads

    func testClosedHandleFailsWithClosed() throws {
        let heirloom = try openFresh()
        let memories = heirloom.memories()
        _ = try memories.addText(title: "Before", text: "closing", aboutWhen: nil)
        heirloom.shutdown()
        XCTAssertEqual(thrownApiError { try memories.list(offset: 0, limit: 10) }, .Closed, "a sub-object made before")
        XCTAssertEqual(thrownApiError { try heirloom.life().coverage() }, .Closed, "a sub-object made after")
        XCTAssertEqual(thrownApiError { try heirloom.search().segments(query: "closing", limit: 5) }, .Closed)
        heirloom.shutdown()  // closing twice is harmless
    }

    func testEightThreadsShareOneHandle() throws {
        let heirloom = try openFresh()
        let errors = ErrorLog()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<15 {
                do {
                    _ = try heirloom.memories().addText(
                        title: "thread \(thread) memory \(i)", text: "story \(i) from thread \(thread)", aboutWhen: nil)
                    _ = try heirloom.search().segments(query: "story", limit: 5)
                    _ = try heirloom.life().coverage()
                } catch {
                    errors.add(error)
                }
            }
        }
        XCTAssertTrue(errors.all.isEmpty, "errors across threads: \(errors.all)")
        XCTAssertEqual(try heirloom.life().coverage().memories, 120, "every write landed")
        XCTAssertEqual(try heirloom.search().segments(query: "story", limit: 1000).count, 120, "all searchable")
        XCTAssertEqual(try heirloom.memories().list(offset: 0, limit: 1000).count, 120)
    }
}
