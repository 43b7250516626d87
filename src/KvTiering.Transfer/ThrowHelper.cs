using System.Diagnostics.CodeAnalysis;

namespace KvTiering.Transfer;

/// <summary>Throws out of line so the callers' paths stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowTimeout(string message) => throw new TimeoutException(message);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? value, string message) =>
        throw new ArgumentOutOfRangeException(paramName, value, message);
}
