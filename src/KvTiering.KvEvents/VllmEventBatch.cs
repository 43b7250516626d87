namespace KvTiering.KvEvents;

/// <summary>vLLM's <c>KVEventBatch</c>: the events of one publishing step.</summary>
/// <param name="Timestamp">Seconds since the Unix epoch when the batch was made.</param>
/// <param name="Events">The events, in order.</param>
/// <param name="DataParallelRank">The publishing engine's data-parallel rank, or null.</param>
public sealed record VllmEventBatch(double Timestamp, IReadOnlyList<VllmKvEvent> Events, int? DataParallelRank = null);
