package app.heirloom.shell

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.AtomicFile
import app.heirloom.core.ApiException
import app.heirloom.core.KeyStore
import java.io.File
import java.io.FileNotFoundException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import java.security.KeyStore as JcaKeyStore

/**
 * Heirloom's [KeyStore] on Android. Each Heirloom key (32 bytes) is encrypted with AES-256-GCM
 * under one master key that the AndroidKeyStore generates and never lets out (hardware-backed
 * where the device has it), and the wrapped key is kept in a small file under noBackupFilesDir.
 *
 * File: a version byte, the 12-byte IV, then ciphertext and tag. The key's name is the GCM
 * associated data, so a wrapped key copied under another name fails to open.
 *
 * The master key needs no user authentication: the store must open without a prompt (for
 * example on a shared care-home tablet). Errors are [ApiException.KeyStore] with a reason that
 * names the step and the exception class, never key bytes.
 */
class KeystoreKeyStore(
    context: Context,
    private val alias: String = "app.heirloom.master.v1",
) : KeyStore {
    private val dir = File(context.noBackupFilesDir, "heirloom-keys")

    @Synchronized
    override fun load(name: String): ByteArray? = guarded("read") {
        val blob = try {
            fileFor(name).readFully()
        } catch (e: FileNotFoundException) {
            return@guarded null // never stored: Heirloom decides between a new store and KeyMissing
        }
        if (blob.size <= HEADER || blob[0] != VERSION) {
            throw ApiException.KeyStore("stored key has an unknown format")
        }
        val master = existingMasterKey()
            ?: throw ApiException.KeyStore("the Keystore master key is gone")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, master, GCMParameterSpec(TAG_BITS, blob, 1, IV_BYTES))
        cipher.updateAAD(name.toByteArray())
        // Handed straight to the bindings, which copy it to Rust (zeroized there once used).
        cipher.doFinal(blob, HEADER, blob.size - HEADER)
    }

    @Synchronized
    override fun store(name: String, secret: ByteArray) {
        try {
            guarded("write") {
                val cipher = Cipher.getInstance(TRANSFORMATION)
                // The Keystore picks a fresh random IV for each encryption.
                cipher.init(Cipher.ENCRYPT_MODE, existingMasterKey() ?: newMasterKey())
                cipher.updateAAD(name.toByteArray())
                val sealed = cipher.doFinal(secret)
                val iv = cipher.iv
                check(iv.size == IV_BYTES) { "unexpected IV size" }
                dir.mkdirs()
                // AtomicFile: a crash mid-write leaves the old key, never half of the new one.
                val file = fileFor(name)
                val out = file.startWrite()
                try {
                    out.write(byteArrayOf(VERSION) + iv + sealed)
                    file.finishWrite(out)
                } catch (e: Exception) {
                    file.failWrite(out)
                    throw e
                }
            }
        } finally {
            secret.fill(0) // our copy from the bindings; Rust keeps (and zeroizes) its own
        }
    }

    /** One file per name; hex keeps any name a safe file name. */
    private fun fileFor(name: String) = AtomicFile(
        File(dir, name.toByteArray().joinToString("") { (it.toInt() and 0xff).toString(16).padStart(2, '0') }),
    )

    private fun existingMasterKey(): SecretKey? {
        val keys = JcaKeyStore.getInstance(ANDROID_KEY_STORE).apply { load(null) }
        return keys.getKey(alias, null) as? SecretKey
    }

    private fun newMasterKey(): SecretKey {
        val spec = KeyGenParameterSpec.Builder(
            alias,
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT,
        )
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEY_STORE)
            .apply { init(spec) }
            .generateKey()
    }

    /** Runs [block], turning every failure into [ApiException.KeyStore] without its message. */
    private inline fun <T> guarded(step: String, block: () -> T): T =
        try {
            block()
        } catch (e: ApiException) {
            throw e
        } catch (e: AEADBadTagException) {
            throw ApiException.KeyStore("stored key failed its integrity check")
        } catch (e: Exception) {
            // Only the class name: provider messages are not ours to vouch for.
            throw ApiException.KeyStore("key $step failed (${e.javaClass.simpleName})")
        }

    private companion object {
        const val ANDROID_KEY_STORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val VERSION: Byte = 1
        const val IV_BYTES = 12
        const val TAG_BITS = 128
        const val HEADER = 1 + IV_BYTES
    }
}
