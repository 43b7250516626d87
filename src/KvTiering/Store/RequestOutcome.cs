namespace KvTiering.Store;

/// <summary>What one request offered through <see cref="TieredKvStore.OfferRequest"/> found at arrival.</summary>
/// <param name="PrefixBlocks">Leading blocks all resident (in any tier): the request's prefix hit, in blocks.</param>
/// <param name="ResidentBlocks">Blocks resident anywhere in the request, prefix or not.</param>
public readonly record struct RequestOutcome(int PrefixBlocks, int ResidentBlocks);
