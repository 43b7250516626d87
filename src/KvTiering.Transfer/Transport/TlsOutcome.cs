using System.Net.Security;

namespace KvTiering.Transfer.Transport;

/// <summary>An authenticated session, or the fault and the reason the handshake gave none.</summary>
internal readonly record struct TlsOutcome(SslStream? Session, TransferFault Fault, string? Reason);
