// Kiosk mode driven from Kotlin: a whole shift on a shared care-home tablet.

import app.heirloom.core.*
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

class LockWatcher : KioskListener {
    val locked = CountDownLatch(1)
    @Volatile var reason: LockReason? = null
    override fun onLocked(reason: LockReason) { this.reason = reason; locked.countDown() }
}

fun profile(name: String, preferred: String = "", avoidPeople: List<String> = emptyList()) =
    ResidentProfile(name, preferred, "en-GB", true, Pacing.GENTLE, false, emptyList(), avoidPeople)

fun kioskTests() {
    test("kiosk: a whole shift — record, switch, auto-lock, a weaker role refused") {
        val dir = tempDir()
        val keys = MemoryKeyStore()
        Kiosk.open(dir, keys).use { kiosk ->
            check(!kiosk.isSetUp(), "a new tablet is not set up")
            val a = kiosk.setUp("Morag Admin", "482913")
            checkEq(a.role, Role.ADMINISTRATOR, "first staff is an administrator")
            checkThrows<ApiException.Locked>("nothing before a PIN") { kiosk.residents() }
            val wrong = checkThrows<ApiException.WrongPin>("a wrong PIN") { kiosk.logIn(a.id, "111112") }
            checkEq(wrong?.attemptsBeforeDelay, 2u, "tries left before delays")
            kiosk.logIn(a.id, "482913")
            val b = kiosk.addStaff("Bea Carer", Role.CARE_WORKER, "620481")
            checkThrows<ApiException.InvalidInput>("a guessable PIN") { kiosk.addStaff("X", Role.CARE_WORKER, "123456") }
            val r1 = kiosk.addResident(profile("Arthur Pennington", "Art", listOf("Joan")), null)
            val r2 = kiosk.addResident(profile("Betty Okafor"), null)
            checkEq(kiosk.residents().map { it.nameToUse }.sorted(), listOf("Art", "Betty Okafor"), "residents listed")

            // Staff A records for resident 1.
            val one = kiosk.openResident(r1)
            val session = one.recorder().start(16000u, 1u)
            val tenth = List(1600) { i -> (8000 * Math.sin(2 * Math.PI * 440 * i / 16000)).toInt().toShort() }
            repeat(10) { session.pushI16(tenth); kiosk.touch() }
            val voice = session.stop("Milk round")
            val memories = one.memories()
            checkEq(memories.list(0u, 10u).map { it.id }, listOf(voice.memory.id), "the recording is in resident 1's vault")
            checkEq(kiosk.status().residentId, r1, "resident 1 open")

            // Switching to resident 2 closes resident 1's vault and every handle on it.
            val two = kiosk.openResident(r2)
            check(!one.isOpen(), "resident 1's vault closed")
            checkThrows<ApiException.Closed>("a handle on resident 1 after the switch") { memories.list(0u, 10u) }
            checkThrows<ApiException.Closed>("a new handle on resident 1 after the switch") { one.recorder() }
            checkEq(two.memories().list(0u, 10u).size, 0, "resident 2 sees nothing of resident 1")

            // Auto-lock fires after the idle time and tells the shell.
            val watcher = LockWatcher()
            kiosk.watchIdle(watcher)
            kiosk.setIdleLockMs(1500L)
            check(watcher.locked.await(15, TimeUnit.SECONDS), "the idle lock fired")
            checkEq(watcher.reason, LockReason.IDLE, "locked for idleness")
            checkEq(kiosk.status().staff, null, "nobody logged in")
            check(!two.isOpen(), "resident 2's vault closed by the lock")
            checkThrows<ApiException.Locked>("touch after the lock") { kiosk.touch() }
            kiosk.logIn(a.id, "482913")
            kiosk.setIdleLockMs(300_000L)
            kiosk.lock()

            // Staff B, a care worker, records but may not read transcripts or export.
            kiosk.logIn(b.id, "620481")
            val again = kiosk.openResident(r1)
            again.recorder()
            check(again.promptSets().isNotEmpty(), "prompt sets for a care worker")
            val denied = checkThrows<ApiException.PermissionDenied>("export by a care worker") { again.exportToFamily(null) }
            checkEq(denied?.permission, "export", "names the permission")
            checkThrows<ApiException.PermissionDenied>("transcripts by a care worker") { again.memories() }
            checkThrows<ApiException.PermissionDenied>("the transcriber by a care worker") { again.transcriber("/none") }
            checkThrows<ApiException.PermissionDenied>("the interviewer by a care worker") { again.interview() }
            checkThrows<ApiException.PermissionDenied>("the audit log by a care worker") { kiosk.auditLog() }
            check(rolePermissions(Role.CARE_WORKER).contains(Permission.RECORD), "care workers record")
            check(!rolePermissions(Role.CARE_WORKER).contains(Permission.EXPORT), "care workers do not export")
            kiosk.lock()

            // The administrator reads the verified audit log: the refusal is there, no names are.
            kiosk.logIn(a.id, "482913")
            val log = kiosk.auditLog()
            check(log.any { it.actor == b.id && it.action == "refused" && it.`object` == "export" }, "the refused export is audited")
            check(log.any { it.action == "lock" && it.`object` == "idle" }, "the idle lock is audited")
            check(log.any { it.action == "record" && it.resident == r1 }, "recording audited against resident 1")
            val exported = kiosk.exportAuditLog()
            checkEq(exported.lines().filter { it.isNotBlank() }.size, log.size + 1, "one JSON line per entry (plus this read)")
            check(!exported.contains("Arthur") && !exported.contains("Milk") && !exported.contains("Bea"), "no names or words in the audit log")
            kiosk.lock()
        }
        // The device key came from the Kotlin key store; a tablet without it cannot open the kiosk.
        checkEq(keys.keys.keys.toList(), listOf("heirloom.kiosk.device.v1"), "only the device key is in the platform store")
        checkThrows<ApiException.KeyMissing>("the kiosk without its device key") { Kiosk.open(dir, MemoryKeyStore()) }
    }

    test("kiosk: proxy consent, story card and family export") {
        val dir = tempDir()
        Kiosk.open(dir, MemoryKeyStore()).use { kiosk ->
            val a = kiosk.setUp("Morag Admin", "482913")
            kiosk.logIn(a.id, "482913")
            val r1 = kiosk.addResident(profile("Arthur Pennington", "Art"), null)
            val one = kiosk.openResident(r1)
            val kept = one.memories().addText("Hospital", "The weeks in hospital.", null).memory
            val shared = one.memories().addText("Milk round", "Forty years on the milk round.", null).memory
            val daughter = ConsentBy.Proxy("Susan Pennington", "daughter", "advanced dementia")
            val policy = ConsentPolicy("GB", "Hospice", "privacy@hospice.example", "https://hospice.example/p", "1", "en")
            checkThrows<ApiException.InvalidInput>("a proxy without a capacity note") {
                one.giveConsent(shared.id, Purpose.SHARE_WITH_FAMILY, ConsentBy.Proxy("Susan", "daughter", " "), policy)
            }
            one.giveConsent(shared.id, Purpose.SHARE_WITH_FAMILY, daughter, policy)
            val lines = one.consents()
            checkEq(lines.size, 1, "one consent")
            checkEq(lines[0].givenBy.proxyName, "Susan Pennington", "who consented")
            checkEq(lines[0].givenBy.relation, "daughter", "their relation")
            checkEq(lines[0].state, ConsentState.LIVE, "live")
            checkThrows<ApiException.InvalidInput>("no family circle yet") { one.exportToFamily(null) }
            val member = Heirloom.open(tempDir(), MemoryKeyStore()).use { it.family().invite("Susan", MemberRole.FAMILY) }
            one.addFamilyMember(member)
            val export = one.exportToFamily(null)
            checkEq(export.queued.map { it.memoryId }, listOf(shared.id), "only the consented memory is queued")
            checkEq(export.withoutConsent, listOf(kept.id), "the other stays in the vault")
            check(one.storyCardDraft().contains("likes to be called Art"), "a draft from the profile")
            checkEq(one.storyCard(), null, "no card before approval")
            val card = one.approveStoryCard("Milkman for 40 years; loves brass bands.", daughter)
            checkEq(card.approvedBy.proxyName, "Susan Pennington", "approved by the proxy")
            checkEq(one.storyCard()?.text, "Milkman for 40 years; loves brass bands.", "the approved card")
            kiosk.lock()
        }
    }
}
