namespace KvTiering.Devices;

/// <summary>
/// A device that knows, before a write, when it cannot take one: a remote server it has lost the connection to, or is
/// backing off from after a fault (<c>RedisBlockDevice</c>). The store asks it wherever a put, a demotion or a
/// promotion would land in the device's tier, and passes the tier over while the answer is false, as it would a tier
/// whose policy declines: a put lands in another tier or is not stored (<c>PutResult.Dropped</c>), a demotion's victim
/// goes further down or leaves the store, a promoted block stays where it is, each counted. None is staged for a
/// write-behind worker that would only see the write fail after the put was answered <c>Stored</c>, and no room is made
/// for a write that cannot land. A device that does not declare it is always written, as before.
/// </summary>
/// <remarks>
/// The answer is a moment's: a device may go down right after it said yes, and the write then fails as any write can
/// (counted in <c>TierStatistics.WriteFailures</c>, the block dropped). The store reads the property once per write it
/// places (never on a read): it must be cheap (no I/O, no lock) and safe from any thread.
/// </remarks>
public interface IWriteAvailability
{
    /// <summary>Whether a write issued now can be tried: false while the device knows it cannot reach its medium.</summary>
    bool CanWriteNow { get; }
}
