using System.Diagnostics.CodeAnalysis;

namespace KvTiering.Simulation.Traces;

/// <summary>Throws out of line so the parsers' loops stay small.</summary>
internal static class TraceThrow
{
    [DoesNotReturn]
    public static void Format(string path, long line, string detail, Exception? inner = null) =>
        throw new TraceFormatException(path, line, detail, inner);

    [DoesNotReturn]
    public static void FileNotFound(string path) =>
        throw new FileNotFoundException($"Trace file not found: '{path}'.", path);
}
