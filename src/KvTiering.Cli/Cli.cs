using System.CommandLine;
using System.CommandLine.Invocation;
using KvTiering.Simulation.Traces;

namespace KvTiering.Cli;

/// <summary>
/// The kvtier entry point: builds the command tree (System.CommandLine: help per command, --version, validation),
/// and turns every expected failure into one clear line — exit code 2 for a usage error, 1 for a run that failed.
/// </summary>
internal static class Cli
{
    /// <summary>Exit code of a command line that could not be understood.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of a run that failed (missing file, malformed trace, I/O error).</summary>
    public const int RunFailed = 1;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        RootCommand root = Build(stdout, stderr);
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke(invocation);
            return UsageError;
        }

        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0 && result.Action is ParseErrorAction)
        {
            foreach (string line in ParseErrors.Describe(result))
            {
                stderr.WriteLine($"kvtier: {line}");
            }

            stderr.WriteLine($"kvtier: see '{ParseErrors.CommandPath(result)} --help'");
            return UsageError;
        }

        try
        {
            return result.Invoke(invocation);
        }
        catch (CliException ex)
        {
            stderr.WriteLine($"kvtier: {ex.Message}");
            return UsageError;
        }
        catch (Exception ex) when (IsRunFailure(ex))
        {
            stderr.WriteLine($"kvtier: {ExceptionMessages.Clean(ex)}");
            return RunFailed;
        }
        catch (AggregateException ex) when (ex.Flatten().InnerExceptions.All(IsRunFailure))
        {
            // A failure inside a parallel replay (e.g. a --kv-events endpoint that cannot be bound) arrives wrapped.
            foreach (string message in ex.Flatten().InnerExceptions.Select(ExceptionMessages.Clean).Distinct())
            {
                stderr.WriteLine($"kvtier: {message}");
            }

            return RunFailed;
        }
    }

    private static bool IsRunFailure(Exception ex) => ex is TraceFormatException or FileNotFoundException or DirectoryNotFoundException
        or InvalidDataException or ArgumentException or IOException or UnauthorizedAccessException or BadImageFormatException;

    /// <summary>The command tree: one line per command, each command in a file of its own.</summary>
    internal static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("kvtier: replay KV-cache traces through the KvTiering store and compare eviction policies against Belady.");
        root.Add(SimulateCommand.Create(stdout, stderr));
        root.Add(ExplainCommand.Create(stdout, stderr));
        root.Add(MrcCommand.Create(stdout));
        root.Add(ReportCommand.Create(stdout, stderr));
        root.Add(PoliciesCommand.Create(stdout));
        root.Add(HashCommand.Create(stdout, stderr));
        root.WithExamples(
            "kvtier simulate --trace ../shared/traces/weka-claude-code --capacity 1%,5% --policy lru,s3fifo,agent,belady",
            "kvtier policies",
            "kvtier simulate --help");
        CliHelp.Install(root, stdout);
        return root;
    }
}
