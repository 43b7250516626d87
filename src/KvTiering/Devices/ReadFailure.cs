namespace KvTiering.Devices;

/// <summary>
/// Why a device's read missed (<see cref="IBlockDevice.Read"/> returned -1), as a device that declares
/// <see cref="IReadFailureReporting"/> tells it. The store counts and logs each cause apart: only
/// <see cref="Corrupt"/> is an integrity event.
/// </summary>
public enum ReadFailure : byte
{
    /// <summary>The device did not say (it does not declare <see cref="IReadFailureReporting"/>); the store treats it as <see cref="Corrupt"/>.</summary>
    Unknown = 0,

    /// <summary>
    /// The device had the block, but its bytes failed verification (checksum, seal, a header that is not the block's):
    /// damaged or forged. An operator must see it.
    /// </summary>
    Corrupt = 1,

    /// <summary>
    /// The device no longer has the block: its slot was emptied or overwritten by a whole other block, a flash file
    /// was cut short, a remote key was evicted or expired, a remote server restarted empty. A cache losing contents,
    /// not an integrity problem.
    /// </summary>
    Lost = 2,

    /// <summary>The device could not be asked: a remote server that is down, timing out, or backed off after a fault.</summary>
    Unreachable = 3,
}
