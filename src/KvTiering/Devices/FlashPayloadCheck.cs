namespace KvTiering.Devices;

/// <summary>What checking a recovered block's payload against its header found.</summary>
internal enum FlashPayloadCheck : byte
{
    /// <summary>Not checked (the verification budget ran out first).</summary>
    Unchecked = 0,

    /// <summary>The payload matches its header (and, on an authenticated tier, its seal).</summary>
    Intact,

    /// <summary>The payload, or the header read again with it, does not match: a lost or torn write.</summary>
    PayloadLost,

    /// <summary>The checksums match but the seal does not: forged, or written with another key.</summary>
    Forged,
}
