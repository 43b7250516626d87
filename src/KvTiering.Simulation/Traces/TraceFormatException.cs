namespace KvTiering.Simulation.Traces;

/// <summary>A trace file is malformed: bad JSON, a missing field, or corrupt or truncated compressed data.</summary>
/// <remarks>The message names the file and, when known, the 1-based line (or byte position) of the fault.</remarks>
public sealed class TraceFormatException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public TraceFormatException()
        : base("The trace file is malformed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    public TraceFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that revealed the fault.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    /// <param name="innerException">The parser or decompressor error.</param>
    public TraceFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal TraceFormatException(string filePath, long lineNumber, string detail, Exception? innerException)
        : base(Describe(filePath, lineNumber, detail), innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The malformed file, or null when not recorded.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line of the fault, or 0 when unknown.</summary>
    public long LineNumber { get; }

    private static string Describe(string filePath, long lineNumber, string detail) =>
        lineNumber > 0
            ? $"Malformed trace file '{filePath}', line {lineNumber}: {detail}"
            : $"Malformed trace file '{filePath}': {detail}";
}
