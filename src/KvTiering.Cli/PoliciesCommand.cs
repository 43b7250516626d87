using System.CommandLine;
using KvTiering.Eviction;

namespace KvTiering.Cli;

/// <summary><c>kvtier policies</c>: lists every policy --policy can name, built-in and loaded.</summary>
internal static class PoliciesCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("policies", "List every eviction policy --policy can name: the built-ins, then any loaded with --policy-assembly.")
        {
            Arguments.Value("policy-assembly", "DLL", "Also load the eviction policies of a compiled assembly (comma-separated paths for several)."),
        };
        command.SetAction(r =>
        {
            var a = new Arguments(r);
            IReadOnlyList<string> loaded = PolicyAssemblies.LoadFrom(a.Get("policy-assembly"));
            foreach (string name in EvictionPolicies.AllNames)
            {
                EvictionPolicy policy = EvictionPolicies.FromName(name);
                string notes = string.Join(", ", new[]
                {
                    loaded.Contains(name) ? "loaded" : null,
                    EvictionPolicies.ReadsSessionHints(policy) ? "reads hints" : null,
                    name == "belady" ? "offline optimum" : null,
                }.Where(n => n is not null));
                stdout.WriteLine(notes.Length == 0 ? name : $"{name,-18}({notes})");
            }

            return 0;
        });
        return command.WithExamples(
            "kvtier policies",
            "kvtier policies --policy-assembly samples/CustomPolicy/bin/Release/net10.0/CustomPolicy.dll");
    }
}
