namespace KvTiering.Devices;

/// <summary>
/// A device that finds faults in what it holds (a corrupt file, a lost or forged block, a block the server dropped)
/// and counts them by kind. The store's meter reports every such device's counts per tier, so a dashboard sees a tier
/// healing without knowing which device it is.
/// </summary>
public interface IFaultCountingDevice
{
    /// <summary>
    /// Every fault kind this device counts, with its count since the device was opened (zeros included, so a series
    /// exists before its first fault). Kinds are stable lowercase names (<c>corrupt_file</c>, <c>authentication</c>, …);
    /// a kind two devices share means the same thing on both. Safe from any thread.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, long>> GetFaultCounts();
}
