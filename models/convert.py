"""Convert a CTranslate2 Whisper model (model.bin spec v6 + vocabulary.txt) to whisper.cpp's ggml.

Pure Python (struct only), deterministic: the same input gives the same bytes, so the output's
sha256 can be pinned in models/manifest.json.

    python3 models/convert.py CT2_DIR OUT.bin

What it does, and why:
- CTranslate2's model.bin (written by ctranslate2/specs/model_spec.py): u32 version (6), the spec
  name, u32 revision, u32 variable count, then per variable: name, u8 rank, u32 dims, u8 dtype
  (0 f32, 1 i8, 2 i16, 3 i32, 4 f16, 5 bf16), u32 byte count, bytes; then aliases.
- Self-attention q/k/v are fused in `linear_0` (3d x d) and cross-attention k/v in `linear_1`
  (2d x d); they are split here. whisper.cpp has no key bias (CTranslate2 stores zeros there).
- ggml layout: magic 0x67676d6c, eleven i32 hyper-parameters, the 80-bin Slaney mel filterbank
  (computed here; it matches openai-whisper's assets/mel_filters.npz), the vocabulary as raw bytes
  (GPT-2's byte-to-unicode map reversed), then tensors under whisper.cpp's names. Matrices and conv
  weights are f16; 1-D tensors, conv biases and positional embeddings f32 (what whisper.cpp
  allocates for them; an all-f32 file crashes whisper.cpp 1.8.3 in im2col).
"""

import math
import struct
import sys
from pathlib import Path

GGML_MAGIC = 0x67676D6C
F32, I8, I16, I32, F16, BF16 = 0, 1, 2, 3, 4, 5
BPE_TOKENS = 50257
ITEM_SIZE = {F32: 4, I8: 1, I16: 2, I32: 4, F16: 2, BF16: 2}


class ConvertError(Exception):
    pass


class Variable:
    def __init__(self, shape, dtype, data):
        self.shape = shape
        self.dtype = dtype
        self.data = data

    def count(self):
        n = 1
        for dim in self.shape:
            n *= dim
        return n

    def floats(self):
        """The values as a list of Python floats (for the small tensors converted to f32)."""
        n = self.count()
        if self.dtype == F32:
            return list(struct.unpack(f"<{n}f", self.data))
        if self.dtype == F16:
            return list(struct.unpack(f"<{n}e", self.data))
        if self.dtype == BF16:
            halves = struct.unpack(f"<{n}H", self.data)
            return list(struct.unpack(f"<{n}f", struct.pack(f"<{n}I", *(h << 16 for h in halves))))
        raise ConvertError(f"dtype {self.dtype} is not a float type (quantized models are not supported)")

    def scalar(self):
        fmt = {I8: "<b", I16: "<h", I32: "<i", F32: "<f"}.get(self.dtype)
        if fmt is None or self.count() != 1:
            raise ConvertError("expected a scalar")
        return struct.unpack(fmt, self.data)[0]


def read_ct2(path: Path) -> dict:
    blob = path.read_bytes()
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(blob):
            raise ConvertError("model.bin is truncated")
        chunk = blob[pos:pos + n]
        pos += n
        return chunk

    def u32():
        return struct.unpack("<I", take(4))[0]

    def string():
        n = struct.unpack("<H", take(2))[0]
        raw = take(n)
        if n == 0 or raw[-1] != 0:
            raise ConvertError("model.bin has a malformed string")
        return raw[:-1].decode("utf-8")

    version = u32()
    if version != 6:
        raise ConvertError(f"model.bin spec version {version}, expected 6")
    spec = string()
    if spec != "WhisperSpec":
        raise ConvertError(f"model.bin holds a {spec}, not a WhisperSpec")
    u32()  # revision
    variables = {}
    for _ in range(u32()):
        name = string()
        rank = take(1)[0]
        shape = struct.unpack(f"<{rank}I", take(4 * rank)) if rank else ()
        dtype = take(1)[0]
        size = u32()
        if dtype not in ITEM_SIZE:
            raise ConvertError(f"unknown dtype id {dtype}")
        var = Variable(tuple(shape), dtype, take(size))
        if var.count() * ITEM_SIZE[dtype] != size:
            raise ConvertError("variable size does not match its shape")
        variables[name] = var
    for _ in range(u32()):
        alias, target = string(), string()
        if target in variables:
            variables[alias] = variables[target]
    if pos != len(blob):
        raise ConvertError("model.bin has trailing bytes")
    return variables


def slaney_hz_to_mel(hz):
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    if hz >= min_log_hz:
        return min_log_mel + math.log(hz / min_log_hz) / logstep
    return hz / f_sp


def slaney_mel_to_hz(mel):
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    if mel >= min_log_mel:
        return min_log_hz * math.exp(logstep * (mel - min_log_mel))
    return f_sp * mel


def mel_filters(n_mels=80, sample_rate=16000, n_fft=400):
    """librosa.filters.mel(sr, n_fft, n_mels) with Slaney scale and norm, as openai-whisper uses."""
    n_bins = n_fft // 2 + 1
    fft_freqs = [i * (sample_rate / 2) / (n_bins - 1) for i in range(n_bins)]
    lo, hi = slaney_hz_to_mel(0.0), slaney_hz_to_mel(sample_rate / 2)
    mel_f = [slaney_mel_to_hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)]
    weights = []
    for i in range(n_mels):
        lower_width = mel_f[i + 1] - mel_f[i]
        upper_width = mel_f[i + 2] - mel_f[i + 1]
        enorm = 2.0 / (mel_f[i + 2] - mel_f[i])
        row = []
        for f in fft_freqs:
            lower = (f - mel_f[i]) / lower_width
            upper = (mel_f[i + 2] - f) / upper_width
            row.append(max(0.0, min(lower, upper)) * enorm)
        weights.append(row)
    return weights


def gpt2_unicode_to_byte():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def vocabulary_bytes(path: Path) -> list:
    """The first 50257 tokens as raw bytes, as openai-whisper's ggml conversion writes them (the
    byte-level BPE ranks, then <|endoftext|> for English-only models); whisper.cpp names the
    special tokens above them itself."""
    table = gpt2_unicode_to_byte()
    lines = path.read_text(encoding="utf-8").split("\n")
    if len(lines) < BPE_TOKENS:
        raise ConvertError("vocabulary.txt is too short")
    try:
        return [bytes(table[ch] for ch in line) for line in lines[:BPE_TOKENS]]
    except KeyError:
        raise ConvertError("vocabulary.txt holds a character outside GPT-2's byte map") from None


class Writer:
    def __init__(self, out):
        self.out = out
        self.count = 0

    def i32(self, *values):
        self.out.write(struct.pack(f"<{len(values)}i", *values))

    def tensor(self, name, shape, var_or_rows, want):
        """Writes a tensor of PyTorch `shape` (row-major) as f16 (want=F16) or f32."""
        if isinstance(var_or_rows, Variable):
            var = var_or_rows
            if want == F16 and var.dtype == F16:
                data = var.data
            else:
                values = var.floats()
                data = struct.pack(f"<{len(values)}{'e' if want == F16 else 'f'}", *values)
        else:
            data = var_or_rows
        n = 1
        for dim in shape:
            n *= dim
        if len(data) != n * (2 if want == F16 else 4):
            raise ConvertError(f"{name}: size does not match its shape")
        encoded = name.encode()
        self.i32(len(shape), len(encoded), 1 if want == F16 else 0)
        self.i32(*reversed(shape))
        self.out.write(encoded)
        self.out.write(data)
        self.count += 1


def rows(var: Variable, start: int, stop: int) -> Variable:
    """Rows start..stop of a matrix or vector (the first axis)."""
    inner = var.count() // var.shape[0]
    item = ITEM_SIZE[var.dtype]
    shape = (stop - start,) + var.shape[1:]
    return Variable(shape, var.dtype, var.data[start * inner * item:stop * inner * item])


def convert(ct2_dir: Path, out_path: Path) -> None:
    v = read_ct2(ct2_dir / "model.bin")

    def get(name):
        if name not in v:
            raise ConvertError(f"model.bin lacks {name}")
        return v[name]

    def count_layers(prefix):
        n = 0
        while f"{prefix}/layer_{n}/ffn/linear_0/weight" in v:
            n += 1
        return n

    n_vocab, n_text_state = get("decoder/embeddings/weight").shape
    n_text_ctx = get("decoder/position_encodings/encodings").shape[0]
    n_audio_ctx, n_audio_state = get("encoder/position_encodings/encodings").shape
    n_mels = get("encoder/conv1/weight").shape[1]
    hparams = [
        n_vocab, n_audio_ctx, n_audio_state, get("encoder/num_heads").scalar(), count_layers("encoder"),
        n_text_ctx, n_text_state, get("decoder/num_heads").scalar(), count_layers("decoder"), n_mels, 1,
    ]
    vocab = vocabulary_bytes(ct2_dir / "vocabulary.txt")

    tmp = out_path.with_name(out_path.name + ".partial")
    with open(tmp, "wb") as f:
        w = Writer(f)
        w.i32(GGML_MAGIC)
        w.i32(*hparams)
        filters = mel_filters(n_mels)
        w.i32(n_mels, len(filters[0]))
        for row in filters:
            f.write(struct.pack(f"<{len(row)}f", *row))
        w.i32(len(vocab))
        for token in vocab:
            w.i32(len(token))
            f.write(token)

        def linear(dst, var_w, var_b, d):
            w.tensor(f"{dst}.weight", var_w.shape, var_w, F16)
            if var_b is not None:
                w.tensor(f"{dst}.bias", (d,), var_b, F32)

        def norm(dst, src, d):
            w.tensor(f"{dst}.weight", (d,), get(f"{src}/gamma"), F32)
            w.tensor(f"{dst}.bias", (d,), get(f"{src}/beta"), F32)

        def mlp(dst, src, d):
            norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm", d)
            for i, j in ((0, 0), (2, 1)):
                weight = get(f"{src}/ffn/linear_{j}/weight")
                linear(f"{dst}.mlp.{i}", weight, get(f"{src}/ffn/linear_{j}/bias"), weight.shape[0])

        def self_attention(dst, src, d):
            norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm", d)
            qkv_w, qkv_b = get(f"{src}/self_attention/linear_0/weight"), get(f"{src}/self_attention/linear_0/bias")
            if qkv_w.shape != (3 * d, d):
                raise ConvertError("fused q/k/v has an unexpected shape")
            linear(f"{dst}.attn.query", rows(qkv_w, 0, d), rows(qkv_b, 0, d), d)
            linear(f"{dst}.attn.key", rows(qkv_w, d, 2 * d), None, d)
            linear(f"{dst}.attn.value", rows(qkv_w, 2 * d, 3 * d), rows(qkv_b, 2 * d, 3 * d), d)
            linear(f"{dst}.attn.out", get(f"{src}/self_attention/linear_1/weight"),
                   get(f"{src}/self_attention/linear_1/bias"), d)

        # Encoder.
        d = n_audio_state
        for conv in ("conv1", "conv2"):
            weight = get(f"encoder/{conv}/weight")
            w.tensor(f"encoder.{conv}.weight", weight.shape, weight, F16)
            w.tensor(f"encoder.{conv}.bias", (d, 1), get(f"encoder/{conv}/bias"), F32)
        pe = get("encoder/position_encodings/encodings")
        w.tensor("encoder.positional_embedding", pe.shape, pe, F32)
        for i in range(hparams[4]):
            self_attention(f"encoder.blocks.{i}", f"encoder/layer_{i}", d)
            mlp(f"encoder.blocks.{i}", f"encoder/layer_{i}", d)
        norm("encoder.ln_post", "encoder/layer_norm", d)

        # Decoder.
        d = n_text_state
        pe = get("decoder/position_encodings/encodings")
        w.tensor("decoder.positional_embedding", pe.shape, pe, F32)
        emb = get("decoder/embeddings/weight")
        w.tensor("decoder.token_embedding.weight", emb.shape, emb, F16)
        for i in range(hparams[8]):
            src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
            self_attention(dst, src, d)
            norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm", d)
            linear(f"{dst}.cross_attn.query", get(f"{src}/attention/linear_0/weight"),
                   get(f"{src}/attention/linear_0/bias"), d)
            kv_w, kv_b = get(f"{src}/attention/linear_1/weight"), get(f"{src}/attention/linear_1/bias")
            if kv_w.shape != (2 * d, d):
                raise ConvertError("fused cross-attention k/v has an unexpected shape")
            linear(f"{dst}.cross_attn.key", rows(kv_w, 0, d), None, d)
            linear(f"{dst}.cross_attn.value", rows(kv_w, d, 2 * d), rows(kv_b, d, 2 * d), d)
            linear(f"{dst}.cross_attn.out", get(f"{src}/attention/linear_2/weight"),
                   get(f"{src}/attention/linear_2/bias"), d)
            mlp(dst, src, d)
        norm("decoder.ln", "decoder/layer_norm", d)
    tmp.replace(out_path)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: convert.py CT2_DIR OUT.bin")
    try:
        convert(Path(sys.argv[1]), Path(sys.argv[2]))
    except ConvertError as e:
        raise SystemExit(f"convert: {e}") from None


if __name__ == "__main__":
    main()
