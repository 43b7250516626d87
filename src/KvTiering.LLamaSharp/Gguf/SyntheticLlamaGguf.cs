using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace KvTiering.LLamaSharp.Gguf;

/// <summary>Lays out a <see cref="SyntheticLlamaModel"/> as GGUF metadata and tensors for llama.cpp's "llama" architecture.</summary>
internal static class SyntheticLlamaGguf
{
    // llama.cpp token types (llama_token_type): normal, unknown, control, byte.
    private const int TypeNormal = 1;
    private const int TypeUnknown = 2;
    private const int TypeControl = 3;
    private const int TypeByte = 6;

    public static GgufWriter Build(SyntheticLlamaModel m)
    {
        var w = new GgufWriter();
        w.Add("general.architecture", "llama");
        w.Add("general.name", m.Name);
        w.Add("general.alignment", (uint)GgufWriter.Alignment);
        w.Add("llama.context_length", (uint)m.ContextLength);
        w.Add("llama.embedding_length", (uint)m.EmbeddingLength);
        w.Add("llama.block_count", (uint)m.Layers);
        w.Add("llama.feed_forward_length", (uint)m.FeedForwardLength);
        w.Add("llama.attention.head_count", (uint)m.HeadCount);
        w.Add("llama.attention.head_count_kv", (uint)m.KvHeadCount);
        w.Add("llama.rope.dimension_count", (uint)m.HeadDim);
        w.Add("llama.rope.freq_base", 10000f);
        w.Add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.Add("llama.vocab_size", (uint)m.VocabularySize);
        AddVocabulary(w, m.VocabularySize);

        GgmlType matrix = m.HalfPrecisionMatrices ? GgmlType.F16 : GgmlType.F32;
        long d = m.EmbeddingLength;
        long kv = (long)m.KvHeadCount * m.HeadDim;
        long ff = m.FeedForwardLength;
        long vocab = m.VocabularySize;

        // Uniform weights of variance 1/fan-in keep activations of order one through every layer.
        AddRandom(w, m.Seed, "token_embd.weight", matrix, [d, vocab], 1.0);
        for (int layer = 0; layer < m.Layers; layer++)
        {
            string p = string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.");
            AddOnes(w, p + "attn_norm.weight", d);
            AddRandom(w, m.Seed, p + "attn_q.weight", matrix, [d, d], 1.0 / d);
            AddRandom(w, m.Seed, p + "attn_k.weight", matrix, [d, kv], 1.0 / d);
            AddRandom(w, m.Seed, p + "attn_v.weight", matrix, [d, kv], 1.0 / d);
            AddRandom(w, m.Seed, p + "attn_output.weight", matrix, [d, d], 1.0 / d);
            AddOnes(w, p + "ffn_norm.weight", d);
            AddRandom(w, m.Seed, p + "ffn_gate.weight", matrix, [d, ff], 1.0 / d);
            AddRandom(w, m.Seed, p + "ffn_down.weight", matrix, [ff, d], 1.0 / ff);
            AddRandom(w, m.Seed, p + "ffn_up.weight", matrix, [d, ff], 1.0 / d);
        }

        AddOnes(w, "output_norm.weight", d);
        AddRandom(w, m.Seed, "output.weight", matrix, [d, vocab], 1.0 / d);
        return w;
    }

    private static void AddVocabulary(GgufWriter w, int size)
    {
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        tokens[0] = "<unk>";
        types[0] = TypeUnknown;
        tokens[1] = "<s>";
        types[1] = TypeControl;
        tokens[2] = "</s>";
        types[2] = TypeControl;
        for (int b = 0; b < 256; b++)
        {
            tokens[3 + b] = string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>");
            types[3 + b] = TypeByte;
        }

        for (int i = 259; i < size; i++)
        {
            // "▁" (U+2581) is SentencePiece's word-start marker; distinct pieces keep the token→id map one-to-one.
            tokens[i] = string.Create(CultureInfo.InvariantCulture, $"\u2581t{i}");
            types[i] = TypeNormal;
            scores[i] = -i;
        }

        w.Add("tokenizer.ggml.model", "llama");
        w.Add("tokenizer.ggml.tokens", tokens);
        w.Add("tokenizer.ggml.scores", scores);
        w.Add("tokenizer.ggml.token_type", types);
        w.Add("tokenizer.ggml.unknown_token_id", 0u);
        w.Add("tokenizer.ggml.bos_token_id", 1u);
        w.Add("tokenizer.ggml.eos_token_id", 2u);
        w.Add("tokenizer.ggml.add_bos_token", false);
        w.Add("tokenizer.ggml.add_eos_token", false);
    }

    private static void AddOnes(GgufWriter w, string name, long length) =>
        w.AddTensor(name, GgmlType.F32, [length], static (row, _) => row.Fill(1f));

    private static void AddRandom(GgufWriter w, ulong seed, string name, GgmlType type, long[] dims, double variance)
    {
        ulong tensorSeed = seed ^ XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(name));
        float scale = (float)Math.Sqrt(3 * variance); // uniform on [-a, a] has variance a²/3
        w.AddTensor(name, type, dims, (row, r) =>
        {
            ulong state = tensorSeed + ((ulong)r * 0x9E3779B97F4A7C15UL);
            for (int i = 0; i < row.Length; i++)
            {
                // SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                row[i] = scale * (((float)(z >> 40) / (1 << 24) * 2f) - 1f);
            }
        });
    }
}
