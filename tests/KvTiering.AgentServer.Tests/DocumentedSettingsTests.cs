using System.Reflection;
using System.Text.RegularExpressions;
using AgentServer;
using AgentServer.Events;
using AgentServer.Remote;
using KvTiering.Extensions;

namespace KvTiering.AgentServer.Tests;

/// <summary>
/// The settings the documentation names are the settings the code binds, both ways: docs/serving.md's configuration
/// tables list every property of <see cref="AgentServerOptions"/>, <see cref="KvEventsOptions"/> and
/// <see cref="RemoteTierOptions"/> and nothing else, docs/ecosystem.md's table every property of
/// <see cref="KvTieringOptions"/>, and every <c>--KvTiering:…=</c> or <c>--AgentServer:…=</c> a page's shell block
/// passes is a setting (the server refuses to start on any other).
/// </summary>
public sealed partial class DocumentedSettingsTests
{
    [Fact]
    public void Serving_lists_every_agent_server_setting_and_no_other()
    {
        string[] rows = [.. FirstCells("docs/serving.md", "key")
            .Where(k => k.StartsWith("AgentServer:", StringComparison.Ordinal)).Select(k => k["AgentServer:".Length..])];
        AssertSameNames(typeof(AgentServerOptions), rows, "docs/serving.md, Configuration");
    }

    [Fact]
    public void Serving_lists_every_kv_event_and_remote_tier_setting_and_no_other()
    {
        AssertSameNames(typeof(KvEventsOptions), NamesInRow("docs/serving.md", "`KvTiering:KvEvents:*`"), "docs/serving.md, row KvTiering:KvEvents:*");
        AssertSameNames(typeof(RemoteTierOptions), NamesInRow("docs/serving.md", "`KvTiering:Redis:*`"), "docs/serving.md, row KvTiering:Redis:*");
        // The KV events section's own table ("| `BufferSteps`, `HighWaterMark` | ...": a row may name two).
        string[] events = [.. Table("docs/serving.md", "key").SkipWhile(r => !r[0].Contains("`Endpoint`", StringComparison.Ordinal))
            .TakeWhile(r => !r[0].StartsWith("`AgentServer:", StringComparison.Ordinal))
            .SelectMany(r => Backticked().Matches(r[0]).Select(m => m.Groups[1].Value))];
        AssertSameNames(typeof(KvEventsOptions), events, "docs/serving.md, KV events table");
    }

    [Fact]
    public void Ecosystem_lists_every_store_option_and_no_other()
    {
        AssertSameNames(typeof(KvTieringOptions), FirstCells("docs/ecosystem.md", "option"), "docs/ecosystem.md, options table");
    }

    [Fact]
    public void Every_setting_a_documented_command_line_passes_exists()
    {
        var problems = new List<string>();
        int count = 0;
        foreach ((string where, string key) in CommandLineSettings())
        {
            count++;
            if (Resolve(key) is { } problem)
            {
                problems.Add($"{where}: --{key}: {problem}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(count >= 8, $"only {count} --KvTiering:/--AgentServer: settings found in the pages' shell blocks");
    }

    [Theory]
    [InlineData("AgentServer:Sequences", true)]
    [InlineData("AgentServer:ModelAliases:0", true)]
    [InlineData("AgentServer:Sequence", false)]
    [InlineData("KvTiering:FlashBytes", true)]
    [InlineData("KvTiering:FlashByte", false)]
    [InlineData("KvTiering:KvEvents:Endpoint", true)]
    [InlineData("KvTiering:KvEvents:Endpiont", false)]
    [InlineData("KvTiering:Redis:ReadWindow", true)]
    [InlineData("KvTiering:Redis:WriteBehind", true)]
    [InlineData("KvTiering:Redis:WriteBehinds", false)]
    public void A_key_resolves_to_a_property_of_its_section(string key, bool exists) => Assert.Equal(exists, Resolve(key) is null);

    /// <summary>Null when <paramref name="key"/> binds to a property; otherwise why not.</summary>
    private static string? Resolve(string key)
    {
        string[] parts = key.Split(':');
        (Type type, int at) = parts switch
        {
            ["AgentServer", ..] => (typeof(AgentServerOptions), 1),
            ["KvTiering", "KvEvents", ..] => (typeof(KvEventsOptions), 2),
            ["KvTiering", "Redis", ..] => (typeof(RemoteTierOptions), 2),
            ["KvTiering", ..] => (typeof(KvTieringOptions), 1),
            _ => (typeof(object), -1),
        };
        if (at < 0 || at >= parts.Length)
        {
            return "not under AgentServer: or KvTiering:";
        }

        return Names(type).Contains(parts[at]) ? null : $"{type.Name} has no {parts[at]} (it has {string.Join(", ", Names(type))})";
    }

    private static void AssertSameNames(Type options, IEnumerable<string> documented, string where)
    {
        string[] names = Names(options);
        string[] listed = [.. documented.Distinct()];
        string[] missing = [.. names.Except(listed)];
        string[] extra = [.. listed.Except(names)];
        Assert.True(missing.Length == 0 && extra.Length == 0,
            $"{where} and {options.Name} differ: not documented {string.Join(", ", missing)}; documented but no setting {string.Join(", ", extra)}");
    }

    private static string[] Names(Type options) =>
        [.. options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name)];

    /// <summary>The backticked names in a table row's last cell, the row found by its first cell.</summary>
    private static string[] NamesInRow(string page, string firstCell)
    {
        string[] row = Table(page, "key").Single(r => r[0] == firstCell);
        // What a parenthesis says about a setting may name other things (an event's name), so only the text outside counts.
        string outside = row[^1];
        for (string previous = ""; previous != outside;)
        {
            previous = outside;
            outside = Parenthesis().Replace(outside, "");
        }

        return [.. Backticked().Matches(outside).Select(m => m.Groups[1].Value).Where(n => SettingName().IsMatch(n))];
    }

    /// <summary>The first cells of every table on <paramref name="page"/> whose first column is headed <paramref name="header"/>, unquoted.</summary>
    private static IEnumerable<string> FirstCells(string page, string header) =>
        Table(page, header).Select(r => r[0].Trim('`'));

    /// <summary>The body rows (cells trimmed) of every table on <paramref name="page"/> whose first column is headed <paramref name="header"/>.</summary>
    private static List<string[]> Table(string page, string header)
    {
        var rows = new List<string[]>();
        bool inside = false;
        foreach (string line in File.ReadAllLines(Path.Combine(RepositoryRoot(), page)))
        {
            if (!line.StartsWith('|'))
            {
                inside = false;
                continue;
            }

            string[] cells = [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];
            if (cells[0] == header)
            {
                inside = true;
            }
            else if (inside && !cells[0].StartsWith("---", StringComparison.Ordinal))
            {
                rows.Add(cells);
            }
        }

        Assert.True(rows.Count > 0, $"no table headed '{header}' on {page}");
        return rows;
    }

    /// <summary>Every <c>--KvTiering:…=</c> and <c>--AgentServer:…=</c> in the pages' shell blocks, with its page and line.</summary>
    private static IEnumerable<(string Where, string Key)> CommandLineSettings()
    {
        string root = RepositoryRoot();
        IEnumerable<string> pages = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "samples"), "README*.md", SearchOption.AllDirectories))
            .Append(Path.Combine(root, "README.md"));
        foreach (string page in pages)
        {
            bool fenced = false, shell = false;
            string[] lines = File.ReadAllLines(page);
            for (int i = 0; i < lines.Length; i++)
            {
                string trimmed = lines[i].TrimStart();
                if (trimmed.StartsWith("```", StringComparison.Ordinal))
                {
                    fenced = !fenced;
                    shell = fenced && trimmed[3..].Trim() is "bash" or "sh" or "shell" or "console" or "";
                    continue;
                }

                if (shell)
                {
                    foreach (Match m in CommandLineSetting().Matches(lines[i]))
                    {
                        yield return ($"{Path.GetRelativePath(root, page)}:{i + 1}", m.Groups[1].Value);
                    }
                }
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvTiering.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No KvTiering.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"\([^()]*\)")]
    private static partial Regex Parenthesis();

    [GeneratedRegex("^[A-Z][A-Za-z]+$")]
    private static partial Regex SettingName();

    [GeneratedRegex(@"--((?:KvTiering|AgentServer)(?::[A-Za-z0-9]+)+)=")]
    private static partial Regex CommandLineSetting();
}
