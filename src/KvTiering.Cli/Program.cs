using KvTiering.Cli;
using KvTiering.Simulation.Traces;

return Cli.Run(args, Console.Out, Console.Error);

namespace KvTiering.Cli
{
    /// <summary>The kvtier entry point: dispatches commands and turns every expected failure into one clear line.</summary>
    internal static class Cli
    {
        public const string Usage = """
            kvtier — replay KV-cache traces through the KvTiering store and compare eviction policies.

            usage:
              kvtier simulate [--trace PATH] [--format mooncake|weka|synthetic] [--stagger S] [--shared-tools]
                              [--policy lru,s3fifo,...] [--capacity 1%,2.5%,12415] [--tiers sram:N,hbm:N,dram:N,flash:N]
                              [--model llama-3.1-8b] [--json FILE] [--csv FILE] [--svg FILE] [--seed N] [--parallel N]
                              [--cache-dir DIR] [--no-cache] [--quiet] [--no-hints]
                              [--labels-from context+session-size|fixed:batch,...] [--accelerator h100]
                              [--explain LEDGER.jsonl] [--ledger-capacity N] [--kv-events tcp://HOST:PORT]
              kvtier explain --ledger LEDGER.jsonl [--session ID | --block ID] [--limit N]
              kvtier mrc --json FILE --svg FILE [--title TEXT]
              kvtier report [--traces DIR] [--out FILE] [--policy ...]
              kvtier policies
              kvtier hash --scheme vllm --block-size N --seed S --tokens 1,2,3,... [--salt S] [--lora NAME]

            With no --trace, simulate replays the built-in seeded synthetic agent workload. Where a trace records how
            each response ended (WEKA's "stop"), simulate passes it to the policies as a session hint when the response
            ends (tool call: paused; end of turn: awaiting the user) and labels the rows "policy+hints"; --no-hints
            replays the access stream alone.
            """;

        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            try
            {
                string[] rest = args[1..];
                return args[0] switch
                {
                    "simulate" => SimulateCommand.Run(rest, stdout, stderr),
                    "mrc" => MrcCommand.Run(rest, stdout),
                    "explain" => ExplainCommand.Run(rest, stdout, stderr),
                    "report" => ReportCommand.Run(rest, stdout, stderr),
                    "policies" => ListPolicies(stdout),
                    "hash" => HashCommand.Run(rest, stdout),
                    _ => throw new CliException($"unknown command '{args[0]}' (try: simulate, explain, mrc, report, policies, hash)"),
                };
            }
            catch (CliException ex)
            {
                stderr.WriteLine($"kvtier: {ex.Message}");
                return 2;
            }
            catch (Exception ex) when (ex is TraceFormatException or FileNotFoundException or DirectoryNotFoundException
                or InvalidDataException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"kvtier: {ex.Message}");
                return 1;
            }
        }

        private static int ListPolicies(TextWriter stdout)
        {
            foreach (string name in KvTiering.Eviction.EvictionPolicies.Names)
            {
                stdout.WriteLine(name);
            }

            return 0;
        }
    }
}
