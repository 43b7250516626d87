namespace KvTiering.Tiers;

/// <summary>
/// The physical character of one memory tier: how fast bytes move in and out, how long an access waits, and what
/// moving one bit costs in energy. Profiles drive the modeled time and energy of every byte the store moves; the
/// presets in TierProfiles cite their sources in docs/tiers.md.
/// </summary>
public sealed record TierProfile
{
    /// <summary>Creates a profile, validating every number.</summary>
    public TierProfile(string name, TierKind kind, double readBytesPerSecond, double writeBytesPerSecond,
        TimeSpan accessLatency, double picojoulesPerBit, long capacityBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!(readBytesPerSecond > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(readBytesPerSecond), readBytesPerSecond, "Read bandwidth must be positive.");
        }

        if (!(writeBytesPerSecond > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(writeBytesPerSecond), writeBytesPerSecond, "Write bandwidth must be positive.");
        }

        if (accessLatency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(accessLatency), accessLatency, "Access latency cannot be negative.");
        }

        if (!(picojoulesPerBit >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(picojoulesPerBit), picojoulesPerBit, "Energy per bit cannot be negative.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        Name = name;
        Kind = kind;
        ReadBytesPerSecond = readBytesPerSecond;
        WriteBytesPerSecond = writeBytesPerSecond;
        AccessLatency = accessLatency;
        PicojoulesPerBit = picojoulesPerBit;
        CapacityBytes = capacityBytes;
    }

    /// <summary>A short name, e.g. "hbm3-h100".</summary>
    public string Name { get; }

    /// <summary>The class of memory.</summary>
    public TierKind Kind { get; }

    /// <summary>Sustained read bandwidth into the accelerator, bytes per second.</summary>
    public double ReadBytesPerSecond { get; }

    /// <summary>Sustained write bandwidth from the accelerator, bytes per second.</summary>
    public double WriteBytesPerSecond { get; }

    /// <summary>Latency of one access before bytes flow.</summary>
    public TimeSpan AccessLatency { get; }

    /// <summary>Energy to move one bit, picojoules.</summary>
    public double PicojoulesPerBit { get; }

    /// <summary>Physical capacity of the part (informational; a store's tier sets its own capacity).</summary>
    public long CapacityBytes { get; }

    /// <summary>Modeled seconds to read <paramref name="bytes"/> in one access.</summary>
    public double ReadSeconds(long bytes) => ReadSeconds(1, bytes);

    /// <summary>Modeled seconds for <paramref name="reads"/> accesses that read <paramref name="bytes"/> in all.</summary>
    internal double ReadSeconds(long reads, long bytes) => (reads * AccessLatency.TotalSeconds) + (bytes / ReadBytesPerSecond);

    /// <summary>Modeled seconds to write <paramref name="bytes"/> in one access.</summary>
    public double WriteSeconds(long bytes) => AccessLatency.TotalSeconds + (bytes / WriteBytesPerSecond);

    /// <summary>Modeled joules to move <paramref name="bytes"/>.</summary>
    public double Joules(long bytes) => bytes * 8.0 * PicojoulesPerBit * 1e-12;
}
