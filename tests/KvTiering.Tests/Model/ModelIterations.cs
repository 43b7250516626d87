using System.Globalization;

namespace KvTiering.Tests.Model;

/// <summary>
/// How many programs a model test samples: its own count, or <c>CsCheck_Iter</c> where that is set. CsCheck reads the
/// variable only for a <c>Sample</c> given no count, and every model test gives one (300, 40 or 30), so without this
/// docs/reliability.md's "longer runs" command (<c>CsCheck_Iter=20000 dotnet test ...</c>) ran the usual counts.
/// </summary>
internal static class ModelIterations
{
    public static long Or(long count) => Or(count, Environment.GetEnvironmentVariable("CsCheck_Iter"));

    /// <summary><paramref name="setting"/> when it is a positive whole number, as CsCheck reads it; otherwise <paramref name="count"/>.</summary>
    public static long Or(long count, string? setting) =>
        long.TryParse(setting, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : count;
}
