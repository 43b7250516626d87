namespace KvTiering.Eviction;

/// <summary>
/// Whether a 32-bit value is a multiple of a divisor fixed at construction, by one multiplication and one comparison
/// instead of a division (a hardware divide takes tens of cycles; a shadow's key sample asks once per reference).
/// </summary>
/// <remarks>
/// Lemire, Kaser and Kurz, "Faster Remainder by Direct Computation: Applications to Compilers and Software Libraries",
/// Software: Practice and Experience 49(6), 2019: with c = ⌈2⁶⁴ / d⌉, a 32-bit n is divisible by a 32-bit d exactly
/// when (n · c) mod 2⁶⁴ ≤ c − 1.
/// </remarks>
internal readonly struct DivisibilityTest
{
    private readonly ulong _multiplier; // ⌈2⁶⁴ / d⌉

    /// <param name="divisor">The divisor, at least 1.</param>
    public DivisibilityTest(uint divisor)
    {
        ArgumentOutOfRangeException.ThrowIfZero(divisor);
        _multiplier = (ulong.MaxValue / divisor) + 1;
    }

    /// <summary>Whether <paramref name="value"/> mod the divisor is 0.</summary>
    public bool Divides(uint value) => value * _multiplier <= _multiplier - 1;
}
