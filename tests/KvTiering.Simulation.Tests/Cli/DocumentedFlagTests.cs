using System.CommandLine;
using System.Text.RegularExpressions;

namespace KvTiering.Simulation.Tests.Cli;

/// <summary>
/// Every kvtier command line the documentation shows names a command kvtier has and only options that command has, so
/// a renamed or removed option cannot leave a page telling users to type something kvtier refuses. A command line is
/// any <c>kvtier SUBCOMMAND</c> or <c>dotnet run ... --project src/KvTiering.Cli -- SUBCOMMAND</c> in a page's shell
/// blocks, fenced or indented (continuation lines joined), or code spans; its options run up to a comment, a pipe or
/// the next command. On the pages about kvtier alone, an option named on its own must be one of kvtier's too.
/// </summary>
public sealed partial class DocumentedFlagTests
{
    [Fact]
    public void Every_documented_kvtier_option_exists_on_its_command()
    {
        Command root = KvTiering.Cli.Cli.Build(TextWriter.Null, TextWriter.Null);
        var problems = new List<string>();
        int checkedFlags = 0;
        foreach (DocumentedCommand line in DocumentedCommands())
        {
            Command? command = line.Subcommand is null ? root : root.Subcommands.FirstOrDefault(c => c.Name == line.Subcommand);
            string name = line.Subcommand is null ? "kvtier" : $"kvtier {line.Subcommand}";
            if (command is null)
            {
                problems.Add($"{line.Where}: kvtier has no command '{line.Subcommand}' ({line.Text})");
                continue;
            }

            foreach (string flag in line.Flags)
            {
                checkedFlags++;
                if (!Knows(root, command, flag))
                {
                    string options = string.Join(", ", command.Options.Select(o => o.Name));
                    problems.Add($"{line.Where}: '{name}' has no option {flag} ({line.Text}); it has {options}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        // A page renamed or a pattern that stopped matching would otherwise check nothing and pass.
        Assert.True(checkedFlags >= 60, $"only {checkedFlags} documented kvtier options found");
    }

    [Theory]
    [InlineData("docs/harness.md")]
    [InlineData("docs/placement.md")]
    [InlineData("src/KvTiering.Cli/README.md")]
    public void Every_option_a_harness_page_names_alone_is_a_kvtier_option(string page)
    {
        // These pages are about kvtier alone, so an option named in passing ("`--no-hints` replays ...") is one of its.
        Command root = KvTiering.Cli.Cli.Build(TextWriter.Null, TextWriter.Null);
        HashSet<string> options =
            [.. root.Subcommands.Prepend(root).SelectMany(c => c.Options).SelectMany(o => o.Aliases.Append(o.Name))];
        string[] lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), page));
        string[] unknown = [.. lines.SelectMany((line, i) => BareOption().Matches(line)
            .Where(m => !options.Contains(m.Groups[1].Value)).Select(m => $"{page}:{i + 1}: {m.Groups[1].Value}"))];
        Assert.True(unknown.Length == 0, "not a kvtier option:\n" + string.Join('\n', unknown));
    }

    [Theory]
    [InlineData("kvtier simulate --trace x --polcy lru", "simulate", "--trace,--polcy")]
    [InlineData("dotnet run -c Release --project src/KvTiering.Cli -- report --out r.md   # 22 min", "report", "--out")]
    [InlineData("kvtier --version", null, "--version")]
    [InlineData("kvtier explain --ledger l.jsonl [--session ID | --block ID] [--limit N]", "explain", "--ledger,--session,--block,--limit")]
    [InlineData("kvtier hash --scheme=vllm && kvtier policies --x", "hash", "--scheme")]
    public void A_command_line_is_split_into_its_command_and_options(string text, string? subcommand, string flags)
    {
        DocumentedCommand line = Parse("page.md:1", text).First();
        Assert.Equal(subcommand, line.Subcommand);
        Assert.Equal(flags.Split(','), line.Flags);
    }

    [Fact]
    public void A_misspelt_option_is_reported()
    {
        Command root = KvTiering.Cli.Cli.Build(TextWriter.Null, TextWriter.Null);
        Command simulate = root.Subcommands.Single(c => c.Name == "simulate");
        Assert.True(Knows(root, simulate, "--policy"));
        Assert.True(Knows(root, simulate, "--help")); // the root's, recursive
        Assert.False(Knows(root, simulate, "--polcy"));
        Assert.False(Knows(root, simulate, "--version")); // the root's own, not a subcommand's
        Assert.True(Knows(root, root, "--version"));
        Assert.False(Knows(root, root, "--policy-assembly"));
    }

    /// <summary>Whether <paramref name="command"/> takes <paramref name="flag"/>: its own options and the root's recursive ones (--help).</summary>
    private static bool Knows(Command root, Command command, string flag) =>
        command.Options.Concat(root.Options.Where(o => o.Recursive)).Any(o => o.Name == flag || o.Aliases.Contains(flag));

    private static IEnumerable<DocumentedCommand> DocumentedCommands()
    {
        string root = RepositoryRoot();
        IEnumerable<string> pages = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "src"), "README.md", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "samples"), "README*.md", SearchOption.AllDirectories))
            .Append(Path.Combine(root, "README.md"))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (string page in pages)
        {
            string name = Path.GetRelativePath(root, page);
            foreach ((int number, string text) in Texts(File.ReadAllLines(page)))
            {
                foreach (DocumentedCommand line in Parse($"{name}:{number}", text))
                {
                    yield return line;
                }
            }
        }
    }

    /// <summary>
    /// A page's shell lines (fenced, or a command in an indented block; a trailing backslash joins the next) and its
    /// code spans (which may wrap onto the next line), with their line numbers.
    /// </summary>
    private static IEnumerable<(int Line, string Text)> Texts(string[] lines)
    {
        bool shell = false, fenced = false;
        var prose = new string[lines.Length]; // the lines outside fences; a fenced line stays as an empty one
        for (int i = 0; i < lines.Length; i++)
        {
            prose[i] = "";
            string trimmed = lines[i].TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                shell = fenced && trimmed[3..].Trim() is "bash" or "sh" or "shell" or "console" or "";
                continue;
            }

            if (!fenced && !IndentedCommand().IsMatch(lines[i]))
            {
                prose[i] = lines[i];
                continue;
            }

            if (shell || !fenced)
            {
                int first = i;
                string text = lines[i];
                while (text.TrimEnd().EndsWith('\\') && i + 1 < lines.Length)
                {
                    text = text.TrimEnd()[..^1] + " " + lines[++i];
                    prose[i] = "";
                }

                yield return (first + 1, text);
            }
        }

        string page = string.Join('\n', prose);
        foreach (Match span in CodeSpan().Matches(page))
        {
            int line = 1 + page.AsSpan(0, span.Index).Count('\n');
            yield return (line, span.Groups[1].Value.Replace('\n', ' '));
        }
    }

    private static IEnumerable<DocumentedCommand> Parse(string where, string text)
    {
        foreach (Match start in Invocation().Matches(text))
        {
            // A bar before an option is usage syntax ("[--session ID | --block ID]"), not a pipe.
            string rest = Alternative().Replace(text[(start.Index + start.Length)..], " ");
            int end = rest.IndexOfAny(['#', '|', ';', '&', '`']);
            string[] words = (end < 0 ? rest : rest[..end]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string? subcommand = words.Length > 0 && !words[0].StartsWith('-') && !words[0].StartsWith('.') ? words[0] : null;
            if (subcommand is not null && !SubcommandName().IsMatch(subcommand))
            {
                continue; // prose that mentions kvtier ("kvtier in the commands below"), not a command line
            }

            string[] flags = [.. words.Select(w => w.TrimStart('[')).Where(w => w.StartsWith("--", StringComparison.Ordinal) && w.Length > 2)
                .Select(w => w.Split('=')[0].TrimEnd(',', '.', ')', ']', '"', '\''))];
            yield return new DocumentedCommand(where, text.Trim(), subcommand, flags);
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

    [GeneratedRegex(@"(?<!`)`([^`\n]+(?:\n[^`\n]+)?)`(?!`)")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"(?:(?<![\w/.-])kvtier|--project\s+src/KvTiering\.Cli\s+--)(?=\s|$)")]
    private static partial Regex Invocation();

    /// <summary>A command in an indented code block ("    kvtier hash ...", as docs/kv-events.md writes them).</summary>
    [GeneratedRegex(@"^ {4,}(kvtier|dotnet) ")]
    private static partial Regex IndentedCommand();

    [GeneratedRegex(@"\|(?=\s*-)")]
    private static partial Regex Alternative();

    [GeneratedRegex(@"`(--[a-z][a-z0-9-]*)")]
    private static partial Regex BareOption();

    [GeneratedRegex(@"^[a-z]+$")]
    private static partial Regex SubcommandName();

    private sealed record DocumentedCommand(string Where, string Text, string? Subcommand, string[] Flags);
}
