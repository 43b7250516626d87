namespace KvTiering.Store;

/// <summary>
/// The store's lock plus the seqlock's odd window around a change, released together by <c>using</c>; entering drains
/// the queued lock-free hits first, so the policies see every access before the change they may decide.
/// </summary>
internal ref struct WriteScope
{
    private readonly TopTierReader? _reader; // null: a TryEnter that did not get the lock, nothing to release

    public WriteScope(TopTierReader reader)
    {
        reader.Lock.Enter();
        _reader = reader;
        Open(reader);
    }

    private WriteScope(TopTierReader reader, bool lockHeld)
    {
        _ = lockHeld;
        _reader = reader;
        Open(reader);
    }

    /// <summary>Enters only if the lock is free right now; otherwise false, and <paramref name="scope"/> holds nothing.</summary>
    public static bool TryEnter(TopTierReader reader, out WriteScope scope)
    {
        if (!reader.Lock.TryEnter())
        {
            scope = default;
            return false;
        }

        scope = new WriteScope(reader, lockHeld: true);
        return true;
    }

    private static void Open(TopTierReader reader)
    {
        reader.Drain();
        reader.BeginWrite();
    }

    public readonly void Dispose()
    {
        if (_reader is null)
        {
            return;
        }

        _reader.EndWrite();
        _reader.Lock.Exit();
    }
}
