using System.IO.Hashing;
using System.Text;

namespace AgentServer.Serving;

/// <summary>Maps a client's session name (<c>X-Session-Id</c> or <c>user</c>) to the store's 64-bit session id.</summary>
internal static class SessionIds
{
    /// <summary>XXH64 of the name's UTF-8, kept positive and non-zero; 0 (no session) for none.</summary>
    public static long Of(string? name) =>
        string.IsNullOrEmpty(name) ? 0 : (long)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(name)) >> 1) | 1;
}
