using System.Diagnostics;
using System.Text.Json;
using OpenAI.Chat;

namespace KvTiering.AgentServer.Tests;

/// <summary>The server's KV events read by a Python consumer as vLLM's example reads them (<see cref="PythonConsumer"/>).</summary>
public sealed class KvEventsInteropTests
{
    [PythonConsumerFact]
    public async Task AVllmStyleConsumerSeesTheServedPromptsBlocksUnderTheHashesItComputes()
    {
        using var flash = new TempDirectory();
        using var server = new TestServerFactory(flash.Path, KvEventsServer.Settings());
        const string task = "Rename the flaky test and explain the race in one paragraph.";
        int[] tokens = KvEventsServer.PromptTokens(server, Conversation.System, task);
        using Process python = PythonConsumer.Start();
        python.StandardInput.WriteLine(JsonSerializer.Serialize(new
        {
            endpoint = KvEventsServer.Publisher(server).Endpoint,
            seed = KvEventsServer.Seed,
            tokens,
        }));
        python.StandardInput.Close();
        Assert.Equal("subscribed", await python.StandardOutput.ReadLineAsync());
        Assert.True(KvEventsServer.Publisher(server).WaitForSubscriber(TimeSpan.FromSeconds(60)), "python never subscribed");

        ChatCompletion reply = (await server.Chat().CompleteChatAsync(Conversation.FirstTurn(task),
            new ChatCompletionOptions { MaxOutputTokenCount = 4, EndUserId = "py" })).Value;
        Assert.Equal(tokens.Length, reply.Usage.InputTokenCount);

        string? line = await python.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(40));
        Assert.True(python.WaitForExit(10_000), "python did not exit");
        Assert.True(line is not null, $"python printed nothing: {await python.StandardError.ReadToEndAsync()}");
        using JsonDocument result = JsonDocument.Parse(line);
        ulong[] expected = [.. result.RootElement.GetProperty("expected").EnumerateArray().Select(e => e.GetUInt64())];
        Assert.Equal(tokens.Length / 16, expected.Length);
        Assert.Equal(KvEventsServer.RouterHashes(server, Conversation.System, task), expected); // python's sha256_cbor is ours

        JsonElement[] stored = [.. result.RootElement.GetProperty("stored").EnumerateArray()];
        ulong[] published = [.. stored.SelectMany(e => e.GetProperty("block_hashes").EnumerateArray().Select(h => h.GetUInt64()))];
        Assert.Equal(expected, published); // every block once, in chain order, and nothing else
        Assert.Equal(JsonValueKind.Null, stored[0].GetProperty("parent_block_hash").ValueKind);
        foreach (JsonElement e in stored)
        {
            Assert.Equal("CPU", e.GetProperty("medium").GetString());
            Assert.Equal(16, e.GetProperty("block_size").GetInt32());
            Assert.Equal(0, e.GetProperty("token_ids").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("lora_id").ValueKind);
        }
    }
}
