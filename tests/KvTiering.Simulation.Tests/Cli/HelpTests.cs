using static KvTiering.Simulation.Tests.Cli.KvtierRun;

namespace KvTiering.Simulation.Tests.Cli;

public sealed class HelpTests
{
    [Theory]
    [InlineData("simulate", "--capacity <SIZES>", "--policy-assembly <DLL>", "--ledger-capacity <N>")]
    [InlineData("explain", "--ledger <FILE>", "--session <ID>", "--limit <N>")]
    [InlineData("mrc", "--json <FILE>", "--svg <FILE>", "--title <TEXT>")]
    [InlineData("report", "--traces <DIR>", "--out <FILE>", "--parallel <N>")]
    [InlineData("policies", "--policy-assembly <DLL>", "--help", "--help")]
    public void Every_command_has_help_with_a_sentence_per_option_and_an_example(string command, params string[] options)
    {
        foreach (string flag in new[] { "--help", "-h" })
        {
            (int rc, string output, string errors) = Kvtier(command, flag);
            Assert.True(rc == 0, errors);
            Assert.Equal("", errors);
            Assert.Contains($" {command} [options]", output, StringComparison.Ordinal); // the root is named after the executable
            Assert.Contains("Examples:", output, StringComparison.Ordinal);
            Assert.Contains($"  kvtier {command}", output, StringComparison.Ordinal);
            foreach (string option in options)
            {
                int at = output.IndexOf(option, StringComparison.Ordinal);
                Assert.True(at >= 0, $"{command} --help lacks {option}");
                string line = output[at..].Split('\n')[0];
                Assert.True(line.Length > option.Length + 20, $"{option} has no description: '{line}'");
            }
        }
    }

    [Fact]
    public void Version_prints_the_assembly_version()
    {
        (int rc, string output, _) = Kvtier("--version");
        Assert.Equal(0, rc);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Fact]
    public void No_arguments_prints_the_commands_and_exits_2()
    {
        (int rc, string output, _) = Kvtier();
        Assert.Equal(2, rc);
        foreach (string command in new[] { "simulate", "explain", "mrc", "report", "policies" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Policies_lists_the_built_ins_and_marks_the_hint_readers()
    {
        (int rc, string output, string errors) = Kvtier("policies");
        Assert.True(rc == 0, errors);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("lru", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("agent", StringComparison.Ordinal) && l.Contains("reads hints", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("lru", StringComparison.Ordinal) && l.Contains("hints", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_policy_assembly_is_a_failed_run_naming_the_path()
    {
        (int rc, _, string errors) = Kvtier("policies", "--policy-assembly", "no/such/Policies.dll");
        Assert.Equal(1, rc);
        Assert.Contains("no/such/Policies.dll", errors, StringComparison.Ordinal);
    }
}
