using System.IO.Hashing;

namespace KvTiering.LLamaSharp.Gguf;

/// <summary>An XxHash3 of a model file's bytes, for <see cref="LlamaKvLayout.FromModelFile"/>.</summary>
internal static class GgufFingerprint
{
    /// <summary>The XxHash3 of the whole file at <paramref name="path"/>, read sequentially.</summary>
    public static ulong Of(string path)
    {
        var hash = new XxHash3();
        using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20, FileOptions.SequentialScan);
        hash.Append(file);
        return hash.GetCurrentHashAsUInt64();
    }
}
