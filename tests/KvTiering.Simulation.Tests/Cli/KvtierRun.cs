namespace KvTiering.Simulation.Tests.Cli;

/// <summary>Runs <c>kvtier</c> in process, as its tests drive it: the exit code and what it wrote to each stream.</summary>
internal static class KvtierRun
{
    public static (int Code, string Output, string Errors) Kvtier(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = KvTiering.Cli.Cli.Run(args, stdout, stderr);
        return (rc, stdout.ToString(), stderr.ToString());
    }
}
