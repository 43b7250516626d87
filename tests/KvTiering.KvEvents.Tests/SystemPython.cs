using System.Diagnostics;

namespace KvTiering.KvEvents.Tests;

/// <summary>
/// The system interpreter with Debian's python3-cbor2, python3-zmq and python3-msgpack: an implementation of vLLM's
/// hashing and wire format that shares no code with ours. `.ci/run` installs them.
/// </summary>
internal static class SystemPython
{
    public const string Path = "/usr/bin/python3";

    private static readonly Lazy<string?> MissingReason = new(Probe);

    /// <summary>Why the interop tests cannot run here, or null when they can.</summary>
    public static string? Missing => MissingReason.Value;

    public static Process Start(string script, params string[] args)
    {
        string file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kvt-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, script);
        var info = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(file);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {Path}");
    }

    /// <summary>Runs a script to completion with <paramref name="stdin"/>; returns its stdout.</summary>
    public static string Run(string script, string stdin)
    {
        using Process p = Start(script);
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> errors = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException("python did not finish in 30 s");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"python exited with {p.ExitCode}: {errors.Result}");
        }

        return output.Result;
    }

    private static string? Probe()
    {
        if (!File.Exists(Path))
        {
            return $"{Path} is not installed";
        }

        try
        {
            string ok = Run("import cbor2, zmq, msgpack\nprint('ok')\n", "");
            return ok.Trim() == "ok" ? null : "the probe printed something else";
        }
        catch (InvalidOperationException ex)
        {
            return $"{Path} lacks cbor2, zmq or msgpack (apt-get install python3-cbor2 python3-zmq python3-msgpack): {ex.Message}";
        }
    }
}

/// <summary>A fact that runs where <see cref="SystemPython"/> has its modules, and is skipped with the reason elsewhere.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (SystemPython.Missing is string reason)
        {
            Skip = $"needs the system Python's cbor2, zmq and msgpack: {reason}";
        }
    }
}
