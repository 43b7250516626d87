using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace KvTiering.Cli;

/// <summary>
/// System.CommandLine's parse errors in kvtier's words: "unknown option --x (did you mean --y?)", "unknown command",
/// "option --trace needs a value".
/// </summary>
internal static partial class ParseErrors
{
    public static IEnumerable<string> Describe(ParseResult result)
    {
        Command command = result.CommandResult.Command;
        foreach (ParseError error in result.Errors)
        {
            string message = error.Message;
            Match quoted = Quoted().Match(message);
            string token = quoted.Success ? quoted.Groups[1].Value : "";
            if (message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))
            {
                if (token.StartsWith('-'))
                {
                    IEnumerable<string> names = command.Options.Select(o => o.Name);
                    yield return $"unknown option {token}{Suggest.DidYouMean(token, names)}";
                }
                else if (command is RootCommand)
                {
                    IEnumerable<string> names = command.Subcommands.Select(c => c.Name);
                    yield return $"unknown command '{token}'{Suggest.DidYouMean(token, names)} (commands: {string.Join(", ", names)})";
                }
                else
                {
                    yield return $"unexpected argument '{token}' (options start with --)";
                }
            }
            else if (message.StartsWith("Required argument missing for option", StringComparison.Ordinal))
            {
                yield return $"option {token} needs a value";
            }
            else if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            {
                if (result.Errors.Count == 1)
                {
                    yield return $"name a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))}";
                }
            }
            else
            {
                yield return message;
            }
        }
    }

    public static string CommandPath(ParseResult result) =>
        result.CommandResult.Command is RootCommand ? "kvtier" : "kvtier " + result.CommandResult.Command.Name;

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}
