// An OpenAI-compatible chat-completions server on llama.cpp (LLamaSharp) with KvTiering as its prefix cache.
// docs/serving.md describes the endpoints, the settings and the load results.
using AgentServer;

WebApplication app = AgentServerApp.Build(args);
app.Run();

/// <summary>The entry point; public so WebApplicationFactory can find it.</summary>
public partial class Program;
