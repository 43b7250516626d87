// An OpenAI-compatible chat-completions server on llama.cpp (LLamaSharp) with KvTiering as its prefix cache.
// docs/serving.md describes the endpoints, the settings and the load results.
using AgentServer;
using Microsoft.Extensions.Options;

WebApplication app;
try
{
    app = AgentServerApp.Build(args);
}
catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
{
    // A setting that does not validate or convert (--AgentServer:Sequences=0, =abc): one line and exit 2, as kvtier's
    // usage errors, instead of an unhandled exception's stack trace and an abort.
    Console.Error.WriteLine($"AgentServer: {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"AgentServer: {ex.Message}"); // a ModelPath that does not exist, a flash folder it cannot write
    return 1;
}

try
{
    app.Run();
}
catch (IOException ex)
{
    Console.Error.WriteLine($"AgentServer: {ex.Message}"); // e.g. the --urls port is in use
    return 1;
}

return 0;

/// <summary>The entry point; public so WebApplicationFactory can find it.</summary>
public partial class Program;
