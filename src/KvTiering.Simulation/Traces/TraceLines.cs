namespace KvTiering.Simulation.Traces;

/// <summary>Splits a text trace into trimmed, non-blank lines, counting every physical line for error messages.</summary>
internal static class TraceLines
{
    /// <summary>
    /// Cuts the next non-blank line (trimmed of spaces, tabs and a CR) off <paramref name="bytes"/>; false at the end.
    /// <paramref name="line"/> counts each line passed, blank ones included, so it is the 1-based number of
    /// <paramref name="text"/>.
    /// </summary>
    public static bool TryNext(ref ReadOnlySpan<byte> bytes, ref long line, out ReadOnlySpan<byte> text)
    {
        while (!bytes.IsEmpty)
        {
            line++;
            int newline = bytes.IndexOf((byte)'\n');
            text = (newline < 0 ? bytes : bytes[..newline]).Trim(" \t\r"u8);
            bytes = newline < 0 ? default : bytes[(newline + 1)..];
            if (!text.IsEmpty)
            {
                return true;
            }
        }

        text = default;
        return false;
    }
}
