using System.Diagnostics.CodeAnalysis;

namespace KvTiering.Redis;

/// <summary>Throws out of line so the callers' paths stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message, Exception inner) =>
        throw new ArgumentException(message, paramName, inner);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? value, string message) =>
        throw new ArgumentOutOfRangeException(paramName, value, message);

    [DoesNotReturn]
    public static void ThrowEmptyKey(string paramName) =>
        throw new ArgumentException("The empty block key is reserved and cannot name a block.", paramName);

    [DoesNotReturn]
    public static void ThrowPayloadLength(string paramName, int length, int slotBytes) =>
        throw new ArgumentException($"Payload length {length} is invalid: a slot holds 1 to {slotBytes} bytes.", paramName);

    [DoesNotReturn]
    public static void ThrowDestinationTooSmall(string paramName, int length, int needed) =>
        throw new ArgumentException($"Destination length {length} is smaller than the block's {needed} bytes.", paramName);

    [DoesNotReturn]
    public static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);

    [DoesNotReturn]
    public static void ThrowUnavailable(string message, Exception? inner = null) => throw new IOException(message, inner);
}
