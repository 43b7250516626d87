using Microsoft.Extensions.Logging;

namespace KvTiering.Devices;

/// <summary>
/// Frees a slot's bytes on flash, so that neither a read nor a later open finds its record: zeroes the range the
/// record's I/O wrote without writing it (<see cref="FileZeroRange"/>: the range becomes a hole to the open's header
/// scan, <see cref="FlashHeaderScan"/>, which then skips it), and where the file system cannot, writes a page of zeros
/// over the header instead, as every free did before (the scan still reads such a slot). The first time the file
/// system says it cannot, the device stops asking, logs it once and counts the frees done the old way.
/// </summary>
/// <remarks>
/// Crash guarantee, the same as a zeroed header's: the call returns only once the kernel has the range as zeros, so a
/// process that dies afterwards (<c>kill -9</c>) never finds the record again. Like the header write, the change is
/// not flushed: a power cut before the file system commits it may bring the old record back, whole (its own header
/// and payload: recovered with its own verified bytes, as a lost header write would be) or in part (its header over
/// zeros, or zeros over its header: a payload check or the header's own checksum fails, and the open drops it). Never
/// another block's bytes. The device marks the slot free in memory before this runs, and the store hands the slot out
/// again only after the free returns, so no write of the slot overlaps it.
/// </remarks>
internal sealed class FlashSlotRelease
{
    private readonly FlashFile _file;
    private readonly FlashGeometry _geometry;
    private readonly FlashCounters _counters;
    private readonly ILogger _logger;
    private volatile bool _zeroRanges;
    private int _reported;

    /// <remarks><paramref name="zeroRanges"/> false stands in for a file system that cannot zero a range (a test seam).</remarks>
    public FlashSlotRelease(FlashFile file, FlashGeometry geometry, FlashCounters counters, ILogger logger, bool zeroRanges)
    {
        _file = file;
        _geometry = geometry;
        _counters = counters;
        _logger = logger;
        _zeroRanges = zeroRanges;
    }

    /// <summary>Whether frees zero the slot's range (false once the file system said it cannot, or when told not to).</summary>
    public bool ZeroesRanges => _zeroRanges;

    /// <summary>
    /// Frees <paramref name="slot"/> on flash: its first <paramref name="ioBytes"/> (the record's I/O; at least the
    /// header's page, at most the slot) zeroed as a range, else its header page written with zeros. True when the
    /// slot's header reads as zeros now; false when both failed (the old header may still verify).
    /// </summary>
    public bool Release(int slot, int ioBytes)
    {
        if (_zeroRanges)
        {
            long length = Math.Clamp(ioBytes, FlashGeometry.PageBytes, _geometry.Stride);
            switch (_file.TryZeroRange(slot, length, out int errno))
            {
                case FileZeroRange.Outcome.Zeroed:
                    _counters.RangeZeroed();
                    return true;
                case FileZeroRange.Outcome.Unsupported:
                    _zeroRanges = false;
                    if (Interlocked.Exchange(ref _reported, 1) == 0)
                    {
                        FlashDeviceLog.ZeroRangeUnsupported(_logger, _file.Path, errno);
                    }

                    break;
            }
        }

        bool zeroed = _file.TryZeroHeader(slot);
        if (zeroed)
        {
            _counters.HeaderZeroed();
        }

        return zeroed;
    }
}
