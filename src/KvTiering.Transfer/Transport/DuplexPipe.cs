using System.IO.Pipelines;

namespace KvTiering.Transfer.Transport;

/// <summary>A reader and a writer that make one end of a connection.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    /// <summary>Two ends of an in-memory connection: what one end writes the other reads.</summary>
    public static (DuplexPipe A, DuplexPipe B) CreatePair(PipeOptions options)
    {
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new DuplexPipe(bToA.Reader, aToB.Writer), new DuplexPipe(aToB.Reader, bToA.Writer));
    }
}
