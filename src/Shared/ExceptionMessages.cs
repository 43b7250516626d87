namespace KvTiering;

/// <summary>
/// Exception messages as a user who typed a value reads them. Linked into the projects that report such values
/// (kvtier's arguments, <c>AddKvTiering</c>'s configuration), so they read alike.
/// </summary>
internal static class ExceptionMessages
{
    /// <summary>
    /// An exception's message without the " (Parameter 'name')" that <see cref="ArgumentException"/> appends: the user
    /// typed a value or set a configuration key, not a parameter.
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
