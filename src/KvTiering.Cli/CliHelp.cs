using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace KvTiering.Cli;

/// <summary>
/// Help with examples: a command's description stays one line (it is what the parent's command list shows), and its
/// examples follow its own <c>--help</c>.
/// </summary>
internal static class CliHelp
{
    private static readonly ConditionalWeakTable<Command, string> s_examples = [];

    /// <summary>Attaches example command lines to <paramref name="command"/>'s --help.</summary>
    public static T WithExamples<T>(this T command, params string[] examples) where T : Command
    {
        s_examples.AddOrUpdate(command, string.Join(Environment.NewLine, examples.Select(e => "  " + e)));
        return command;
    }

    /// <summary>Makes the root's (recursive) --help print the examples of the command it describes.</summary>
    public static void Install(RootCommand root, TextWriter stdout)
    {
        foreach (Option option in root.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction action)
            {
                action.MaxWidth = 120;
                help.Action = new WithExamplesAction(action, stdout);
            }
        }
    }

    private sealed class WithExamplesAction(HelpAction inner, TextWriter stdout) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int rc = inner.Invoke(parseResult);
            if (s_examples.TryGetValue(parseResult.CommandResult.Command, out string? text))
            {
                stdout.WriteLine("Examples:");
                stdout.WriteLine(text);
                stdout.WriteLine();
            }

            return rc;
        }
    }
}
