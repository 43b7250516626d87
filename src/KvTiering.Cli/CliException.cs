namespace KvTiering.Cli;

/// <summary>A usage error: printed as one line, exit code 2, no stack trace.</summary>
internal sealed class CliException(string message) : Exception(message)
{
    /// <summary>
    /// An exception's message without the "(Parameter 'name')" that <see cref="ArgumentException"/> appends: the user
    /// typed a value, not a parameter.
    /// </summary>
    public static string Clean(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        string message = ex.Message;
        if (ex is ArgumentException { ParamName: { } name })
        {
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal))
            {
                message = message[..^suffix.Length];
            }
        }

        return message;
    }
}
