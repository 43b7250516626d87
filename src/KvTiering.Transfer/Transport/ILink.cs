namespace KvTiering.Transfer.Transport;

/// <summary>
/// The byte stream under a <see cref="Connection"/>: a TCP socket, or a TLS session over one. The connection's
/// pumps, pipes and linger rules are the same for both; only how bytes cross differs.
/// </summary>
internal interface ILink : IDisposable
{
    /// <summary>Receives at most <paramref name="buffer"/>.Length bytes; 0 when the peer has closed its side.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends every byte of <paramref name="buffer"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Closes the sending direction, so the peer reads a clean end of stream.</summary>
    ValueTask ShutdownSendAsync();

    /// <summary>
    /// Closes the socket, ending any receive or send still pending. The connection calls it before
    /// <see cref="IDisposable.Dispose"/>, once its loops have had their linger time, so nothing is freed while in use.
    /// </summary>
    void Abort();
}
