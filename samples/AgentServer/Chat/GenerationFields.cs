using System.Text.Json;

namespace AgentServer.Chat;

/// <summary>
/// The request fields that shape the reply rather than the prompt: <c>stop</c>, which the server honours, and
/// <c>n</c>, which it cannot (one choice per request), so more than one is refused instead of silently answered with one.
/// </summary>
internal static class GenerationFields
{
    /// <summary>
    /// <c>stop</c>: a string or an array of strings (OpenAI's and vLLM's forms); none when absent or null. The reply ends
    /// before the first one it would contain, with <c>finish_reason: stop</c>.
    /// </summary>
    public static IReadOnlyList<string> Stop(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out JsonElement stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (stop.ValueKind == JsonValueKind.String)
        {
            return NonEmpty([stop.GetString()!]);
        }

        if (stop.ValueKind != JsonValueKind.Array || stop.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
        {
            throw new RequestRefusedException($"'stop' must be a string or an array of strings, not {stop.GetRawText()}.", "stop");
        }

        return NonEmpty([.. stop.EnumerateArray().Select(s => s.GetString()!)]);
    }

    /// <summary>Refuses an <c>n</c> other than 1 (absent or null is 1).</summary>
    public static void CheckChoices(JsonElement root)
    {
        if (root.TryGetProperty("n", out JsonElement n) && n.ValueKind != JsonValueKind.Null
            && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int choices) && choices == 1))
        {
            throw new RequestRefusedException($"'n' is {n.GetRawText()}; this server generates one choice per request (n = 1).", "n");
        }
    }

    private static string[] NonEmpty(string[] stops) => stops.Any(s => s.Length == 0)
        ? throw new RequestRefusedException("'stop' holds an empty string, which would end every reply before it starts.", "stop")
        : stops;
}
