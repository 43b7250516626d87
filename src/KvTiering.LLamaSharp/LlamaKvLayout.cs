using System.Globalization;
using System.Text;
using KvTiering.Blocks;
using KvTiering.LLamaSharp.Gguf;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp;

/// <summary>Builds the <see cref="KvLayout"/> of a llama.cpp model, so store blocks match its KV cache.</summary>
public static class LlamaKvLayout
{
    /// <summary>The layout of <paramref name="weights"/>' KV cache; see <see cref="FromModel(SafeLlamaModelHandle, int, int, string?)"/>.</summary>
    public static KvLayout FromModel(LLamaWeights weights, int tokensPerBlock = 16, int elementBytes = 2, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return FromModel(weights.NativeHandle, tokensPerBlock, elementBytes, modelId);
    }

    /// <summary>
    /// <see cref="FromModel(LLamaWeights, int, int, string?)"/> keyed by the model file's bytes as well: the default id
    /// (GGUF name, parameter count, file size) followed by an XxHash3 of <paramref name="ggufPath"/>. Use it when
    /// snapshots outlive the process (a flash or remote tier): two fine-tunes of one base converted alike share the
    /// default id, and one would restore the other's KV state. Reads the whole file once (seconds for GBs; usually from
    /// the page cache, right after llama.cpp loaded it); the same file always gets the same id.
    /// </summary>
    /// <param name="weights">The loaded model.</param>
    /// <param name="ggufPath">The file <paramref name="weights"/> was loaded from.</param>
    /// <param name="tokensPerBlock">Tokens per block: the granularity of prefix matching (default 16).</param>
    /// <param name="elementBytes">Bytes per KV element (2 for F16, 1 for Q8_0-sized caches).</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="ggufPath"/>.</exception>
    public static KvLayout FromModelFile(LLamaWeights weights, string ggufPath, int tokensPerBlock = 16, int elementBytes = 2)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentException.ThrowIfNullOrEmpty(ggufPath);
        KvLayout layout = FromModel(weights.NativeHandle, tokensPerBlock, elementBytes);
        string id = string.Create(CultureInfo.InvariantCulture, $"{layout.ModelId}|xxh3={GgufFingerprint.Of(ggufPath):x16}");
        return new KvLayout(id, layout.Layers, layout.KvHeads, layout.HeadDim, layout.ElementBytes, layout.TokensPerBlock);
    }

    /// <summary>
    /// The layout of <paramref name="model"/>'s KV cache: its layers, KV heads and head dimension, with
    /// <paramref name="elementBytes"/> per element (2 for llama.cpp's default F16 cache) and
    /// <paramref name="tokensPerBlock"/> tokens per block. A block is then about one block of tokens' sequence state.
    /// </summary>
    /// <param name="model">The loaded model.</param>
    /// <param name="tokensPerBlock">Tokens per block: the granularity of prefix matching (default 16).</param>
    /// <param name="elementBytes">Bytes per KV element (2 for F16, 1 for Q8_0-sized caches).</param>
    /// <param name="modelId">
    /// The key namespace's model id. By default it is built from the GGUF name, parameter count and file size; pass
    /// one explicitly when different weights could share those (fine-tunes, seeds), or snapshots would be shared —
    /// or use <see cref="FromModelFile"/>, which adds a hash of the file's bytes.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A size is zero or negative.</exception>
    public static KvLayout FromModel(SafeLlamaModelHandle model, int tokensPerBlock = 16, int elementBytes = 2, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        int heads = Math.Max(1, model.HeadCount);
        string? architecture = Metadata(model, "general.architecture");
        int headDim = architecture is not null
            && int.TryParse(Metadata(model, architecture + ".attention.key_length"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int keyLength)
            && keyLength > 0
            ? keyLength
            : model.EmbeddingSize / heads;
        string id = modelId ?? string.Create(CultureInfo.InvariantCulture,
            $"{Metadata(model, "general.name") ?? "gguf"}|params={model.ParameterCount}|bytes={model.SizeInBytes}");
        return new KvLayout(id, model.LayerCount, Math.Max(1, model.KVHeadCount), headDim, elementBytes, tokensPerBlock);
    }

    private static string? Metadata(SafeLlamaModelHandle model, string key)
    {
        Memory<byte>? value = model.MetadataValueByKey(key);
        return value is { } bytes ? Encoding.UTF8.GetString(bytes.Span).TrimEnd('\0') : null;
    }
}
