using System.Text.Json;

namespace KvTiering.Simulation.Traces;

/// <summary>Reads one typed property value, failing with the file, line and byte offset in the message.</summary>
internal static class JsonFields
{
    /// <summary>Moves to the property's value and reads it as a finite number.</summary>
    public static double ReadDouble(ref Utf8JsonReader reader, string path, long line, string field)
    {
        double value = double.NaN;
        if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out value) ||
            !double.IsFinite(value))
        {
            Fail(ref reader, path, line, field, "a finite number");
        }

        return value;
    }

    /// <summary>Moves to the property's value and reads it as a non-negative 32-bit integer.</summary>
    public static int ReadCount(ref Utf8JsonReader reader, string path, long line, string field)
    {
        int value = -1;
        if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out value) ||
            value < 0)
        {
            Fail(ref reader, path, line, field, "a non-negative integer");
        }

        return value;
    }

    private static void Fail(ref Utf8JsonReader reader, string path, long line, string field, string expected) =>
        TraceThrow.Format(path, line, $"\"{field}\" must be {expected} (byte {reader.TokenStartIndex}).");
}
