namespace KvTiering.Store;

/// <summary>A written (or failed) write-behind job whose outcome the worker has yet to book under the lock.</summary>
internal readonly record struct WriteBehindOutcome(WriteBehindJob Job, IOException? Failure);
