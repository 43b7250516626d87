using System.IO.Hashing;

namespace KvTiering.LLamaSharp.Gguf;

/// <summary>An XxHash3 of a model file's bytes, for <see cref="LlamaKvLayout.FromModelFile"/>.</summary>
internal static class GgufFingerprint
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>The XxHash3 of the whole file at <paramref name="path"/>, read sequentially in 1 MiB chunks.</summary>
    public static ulong Of(string path)
    {
        var hash = new XxHash3();
        byte[] buffer = new byte[ChunkBytes];
        using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            hash.Append(buffer.AsSpan(0, read));
        }

        return hash.GetCurrentHashAsUInt64();
    }
}
