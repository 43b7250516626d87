using System.Diagnostics.CodeAnalysis;

namespace KvTiering;

/// <summary>Throws out of line so the callers' fast paths stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? value, string message) =>
        throw new ArgumentOutOfRangeException(paramName, value, message);

    [DoesNotReturn]
    public static void ThrowEmptyKey(string paramName) =>
        throw new ArgumentException("The empty block key is reserved and cannot name a block.", paramName);

    [DoesNotReturn]
    public static void ThrowPayloadLength(string paramName, int length, int blockBytes) =>
        throw new ArgumentException(
            $"Payload length {length} is invalid: a block holds 1 to {blockBytes} bytes.", paramName);

    [DoesNotReturn]
    public static void ThrowDestinationTooSmall(string paramName, int length, int needed) =>
        throw new ArgumentException($"Destination length {length} is smaller than the block's {needed} bytes.", paramName);

    [DoesNotReturn]
    public static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ThrowNotSupported(string message) => throw new NotSupportedException(message);
}
