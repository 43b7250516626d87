namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>What <see cref="SnapshotLoader.FindLongestAsync"/> found.</summary>
/// <param name="Found">Whether a snapshot was read back verified into the payload buffer.</param>
/// <param name="Manifest">Its manifest (default when none was found).</param>
/// <param name="MatchedTokens">Leading prompt tokens it covers, in whole blocks.</param>
/// <param name="DeepestTier">The deepest store tier any piece was read from; -1 when none was found.</param>
/// <param name="Corrupt">Corrupt snapshots found (and removed) on the way.</param>
internal readonly record struct SnapshotLookup(bool Found, SnapshotManifest Manifest, int MatchedTokens, int DeepestTier, int Corrupt);
