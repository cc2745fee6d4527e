// Federated learning through the bindings, against the local cloud (SeaweedFS and the reference
// enclave, whose operator token run.sh exports): device conditions from the shell, the training
// consent, the privacy budget, a round joined and sent, the signed contribution in the ledger,
// and withdrawal.

import app.heirloom.core.*
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

class Device(var charging: Boolean, var idle: Boolean) : DeviceConditions {
    override fun isCharging() = charging
    override fun isIdle() = idle
}

/** Calls the enclave's operator endpoint `path` with `body`; returns the HTTP status. */
fun operator(url: String, path: String, body: String): Int {
    val token = System.getenv("HEIRLOOM_ENCLAVE_ADMIN_TOKEN") ?: error("HEIRLOOM_ENCLAVE_ADMIN_TOKEN is not set")
    val request = HttpRequest.newBuilder(URI.create(url + path))
        .header("Authorization", "Bearer $token")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build()
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).statusCode()
}

fun learningTests() {
    test("federated learning: conditions, consent, budget, a round sent, the ledger, withdrawal") {
        val enclaveUrl = System.getenv("HEIRLOOM_ENCLAVE_URL") ?: error("HEIRLOOM_ENCLAVE_URL is not set")
        val enclaveKey = System.getenv("HEIRLOOM_ENCLAVE_KEY") ?: error("HEIRLOOM_ENCLAVE_KEY is not set")
        val models = System.getenv("HEIRLOOM_MODELS") ?: error("HEIRLOOM_MODELS is not set")
        Heirloom.open(tempDir(), fileKeyStore(tempDir() + "/keys")).use { h ->
            check(h.loadUnderstanding(models).semantic, "the embedding model loaded")
            val learning = h.learning(EnclaveConfig(enclaveUrl, listOf(enclaveKey), 65536uL))
            val status = learning.status()
            checkEq(status.consent to status.rounds, false to 0u, "no consent, no rounds")
            checkEq(status.budgetEpsilon, 8.0, "the default budget")
            val device = Device(charging = false, idle = true)
            checkThrows<ApiException.NotNow>("not charging") { learning.joinRound(TrainingTask.EMOTION, device, CancelHandle(), 60_000uL) }
            device.charging = true
            checkThrows<ApiException.ConsentRequired>("no consent") { learning.joinRound(TrainingTask.EMOTION, device, CancelHandle(), 60_000uL) }
            val policy = ConsentPolicy("GB", "Heirloom", "privacy@heirloom.example", "https://heirloom.example/privacy", "2026-11", "en")
            val consent = h.consent(policy)
            consent.giveTraining(null)
            checkEq(learning.status().consent, true, "the training consent is live")

            // The operator opens a federation (eight emotions over MiniLM's 384 dimensions).
            val labels = listOf("joy", "grief", "pride", "fear", "love", "regret", "anger", "gratitude", "nostalgia", "loneliness")
            val config = """{"task":"emotion-tagger","labels":[${labels.joinToString(",") { "\"$it\"" }}],"dim":384,""" +
                """"learning_rate":"0.5","local_epochs":2,"batch_size":4,"clip_norm":"1","noise_multiplier":"1","noise_shares":1,"min_clients":2}"""
            checkEq(operator(enclaveUrl, "/v1/admin/learn/start", config), 200, "the federation starts")
            checkThrows<ApiException.NotNow>("too few confirmed examples") { learning.joinRound(TrainingTask.EMOTION, device, CancelHandle(), 60_000uL) }

            val story = "I was so happy at the summer fair.\nWe laughed all evening at the dance hall.\n" +
                "I cried at my mother's funeral.\nI was heartbroken when the dog died.\n" +
                "I was proud when my son graduated.\nIt was my proudest moment at the works."
            val memory = h.memories().addText("Feelings", story, null).memory
            val facts = h.facts()
            for (fact in facts.forMemory(memory.id).filter { it.entity.kind == EntityKind.EMOTION }) {
                facts.confirm(fact.mentionId)
            }
            val joined = learning.joinRound(TrainingTask.EMOTION, device, CancelHandle(), 60_000uL)
            check(joined is RoundOutcome.Queued && joined.round == 1uL && joined.exampleCount >= 5uL, "round 1 joined: $joined")
            checkEq(learning.joinRound(TrainingTask.EMOTION, device, CancelHandle(), 60_000uL), RoundOutcome.AlreadyJoined(1uL) as RoundOutcome, "one update per round")
            // Topics are a federation of their own, and the operator has not started one.
            checkThrows<ApiException>("no topic round is open") { learning.joinRound(TrainingTask.TOPIC, device, CancelHandle(), 60_000uL) }
            val quiet = object : OutboxProgress {
                override fun onProgress(itemId: Long, acked: ULong, total: ULong) {}
                override fun onState(itemId: Long, state: ItemState) {}
            }
            checkEq(h.outbox(EnclaveConfig(enclaveUrl, listOf(enclaveKey), 65536uL)).run(quiet, CancelHandle(), 60_000uL).uploaded, 1u, "the sealed update uploaded")
            val entry = learning.ledger().single()
            checkEq(entry.state, "uploaded", "the ledger shows it sent")
            check(entry.receiptJson?.contains(entry.updateSha256) == true, "the enclave's receipt names the update")
            check(!entry.receiptJson!!.contains("happy"), "no words of the story in the receipt")
            check(learning.exportLedger().contains(entry.updateSha256), "the exported ledger")
            val spent = learning.status()
            check(spent.rounds == 1u && spent.spentEpsilon > 4.7 && spent.spentEpsilon < 4.8, "one round at σ = 1 spent: $spent")

            learning.setBudget(5.0, 1e-5)
            checkThrows<ApiException.InvalidInput>("a δ that is too large") { learning.setBudget(5.0, 0.5) }
            consent.revokeTraining()
            checkThrows<ApiException.ConsentRequired>("withdrawn: no more rounds") { learning.joinRound(TrainingTask.EMOTION, device, CancelHandle(), 60_000uL) }
        }
    }
}
