using System.Globalization;
using System.IO.Hashing;

namespace AgentServer.Engine;

/// <summary>
/// The key namespace of a served GGUF: the library's default id (GGUF name, parameter count, file size) plus a hash
/// of the file's bytes. Snapshots outlive the server in its flash directory, and two fine-tunes of one base converted
/// alike share the default id: without the hash the second would restore the first's KV state (wrong bytes served as
/// a hit).
/// </summary>
public static class ModelFingerprint
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// <paramref name="defaultId"/> followed by the XxHash3 of the whole file at <paramref name="path"/>. Read once at
    /// startup, after llama.cpp has loaded the same file, so its pages are usually cached (a few seconds for GBs).
    /// </summary>
    public static string Of(string path, string defaultId)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(defaultId);
        var hash = new XxHash3();
        byte[] buffer = new byte[ChunkBytes];
        using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            hash.Append(buffer.AsSpan(0, read));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{defaultId}|xxh3={hash.GetCurrentHashAsUInt64():x16}");
    }
}
