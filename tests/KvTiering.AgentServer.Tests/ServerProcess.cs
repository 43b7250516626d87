using System.Diagnostics;

namespace KvTiering.AgentServer.Tests;

/// <summary>The agent server as an operator starts it: its own process, its own flash directory, run until it exits.</summary>
internal static class ServerProcess
{
    /// <summary>
    /// Starts the server with <paramref name="args"/> (and a fresh flash directory) and returns its exit code and stderr;
    /// a server still running after two minutes is killed and reported, since these runs expect a refusal.
    /// </summary>
    public static async Task<(int Code, string Errors)> RunToExitAsync(params string[] args)
    {
        using var dir = new TempDirectory();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir.Path, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add($"--KvTiering:FlashDirectory={dir.Path}");
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using Process process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The server with {string.Join(' ', args)} did not exit: it started when it should have refused.");
        }

        return (process.ExitCode, await errors);
    }
}
