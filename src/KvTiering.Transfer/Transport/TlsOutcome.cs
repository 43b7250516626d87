using System.Net.Security;

namespace KvTiering.Transfer.Transport;

/// <summary>
/// How a TLS handshake ended: an authenticated session (<see cref="Fault"/> None); a session whose peer this server
/// refused (<see cref="Refused"/>: the refusal is to be sent inside it, then the session closed); or no session, with
/// the fault and the reason.
/// </summary>
internal readonly record struct TlsOutcome(SslStream? Session, TransferFault Fault, string? Reason)
{
    /// <summary>A session was established but its peer is refused: send <see cref="Reason"/> in it and close.</summary>
    public bool Refused => Session is not null && Fault != TransferFault.None;
}
