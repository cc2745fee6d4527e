// The reference peer for bench/speech.sh: whisper.cpp's own C API driven the way its CLI
// (examples/cli) drives it: load the model, read a 16 kHz mono WAV, one whisper_full over all of
// it, print the segments. The whisper-rs-sys crate vendors whisper.cpp without its examples/
// folder, so this file stands in for whisper-cli; it is built against the same vendored source.
//
// usage: ref_cli MODEL WAV THREADS [beam_size]
// Prints one JSON line: the text, and the CPU seconds (all threads) whisper_full took, the wall
// time, and the model load time; the same fields examples/transcribe.rs prints for the core.
#include "whisper.h"
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <chrono>
#include <ctime>
#include <string>

static bool read_wav(const char *path, std::vector<float> &pcm) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    std::vector<unsigned char> data;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
    fclose(f);
    if (data.size() < 12 || memcmp(data.data(), "RIFF", 4) || memcmp(data.data() + 8, "WAVE", 4)) return false;
    size_t pos = 12;
    while (pos + 8 <= data.size()) {
        uint32_t len;
        memcpy(&len, data.data() + pos + 4, 4);
        if (!memcmp(data.data() + pos, "data", 4)) {
            size_t end = pos + 8 + len;
            if (end > data.size()) end = data.size();
            for (size_t i = pos + 8; i + 1 < end; i += 2) {
                int16_t s;
                memcpy(&s, data.data() + i, 2);
                pcm.push_back(s / 32768.0f);
            }
            return true;
        }
        pos += 8 + len + (len & 1);
    }
    return false;
}

static void quiet(enum ggml_log_level, const char *, void *) {}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ref_cli MODEL WAV THREADS [beam_size]\n");
        return 2;
    }
    whisper_log_set(quiet, nullptr);
    std::vector<float> pcm;
    if (!read_wav(argv[2], pcm)) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    struct whisper_context_params cparams = whisper_context_default_params();
    cparams.use_gpu = false;
    cparams.flash_attn = getenv("REF_FLASH") != nullptr;
    auto load_start = std::chrono::steady_clock::now();
    struct whisper_context *ctx = whisper_init_from_file_with_params(argv[1], cparams);
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    if (!ctx) return 1;
    int beam = argc > 4 ? atoi(argv[4]) : 1;
    struct whisper_full_params p = whisper_full_default_params(
        beam > 1 ? WHISPER_SAMPLING_BEAM_SEARCH : WHISPER_SAMPLING_GREEDY);
    p.n_threads = atoi(argv[3]);
    p.beam_search.beam_size = beam;
    p.language = "en";
    p.print_progress = false;
    p.print_realtime = false;
    p.print_timestamps = false;
    clock_t cpu_start = clock();
    auto wall_start = std::chrono::steady_clock::now();
    if (whisper_full(ctx, p, pcm.data(), (int)pcm.size()) != 0) return 1;
    double cpu_s = (double)(clock() - cpu_start) / CLOCKS_PER_SEC;
    double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::string text;
    for (int i = 0; i < whisper_full_n_segments(ctx); i++) {
        const char *seg = whisper_full_get_segment_text(ctx, i);
        for (const char *c = seg; *c; c++) {
            if (*c == '"' || *c == '\\') text += '\\';
            if ((unsigned char)*c >= 0x20) text += *c;
        }
        text += ' ';
    }
    printf("{\"text\": \"%s\", \"cpu_s\": %.3f, \"wall_s\": %.3f, \"load_s\": %.3f}\n", text.c_str(), cpu_s, wall_s, load_s);
    whisper_free(ctx);
    return 0;
}
