using System.Text.Json;

namespace AgentLoad;

/// <summary>
/// What a server says it serves (<c>GET /v1/models</c>): the model's name, which every request must name (the server
/// answers any other with 404), and its context (vLLM's <c>max_model_len</c>) when the server tells it.
/// </summary>
internal sealed record ServedModel(string Id, int? ContextSize)
{
    public static async Task<ServedModel> GetAsync(Uri server)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage response = await http.GetAsync(new Uri(server, "/v1/models"));
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"GET {new Uri(server, "/v1/models")} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        using JsonDocument models = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement first = models.RootElement.GetProperty("data").EnumerateArray().FirstOrDefault();
        if (first.ValueKind != JsonValueKind.Object || first.GetProperty("id").GetString() is not { Length: > 0 } id)
        {
            throw new IOException($"{new Uri(server, "/v1/models")} lists no model.");
        }

        return new ServedModel(id,
            first.TryGetProperty("max_model_len", out JsonElement context) && context.TryGetInt32(out int tokens) ? tokens : null);
    }
}
