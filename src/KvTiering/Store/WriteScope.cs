namespace KvTiering.Store;

/// <summary>
/// The store's lock plus the seqlock's odd window around a change, released together by <c>using</c>; entering drains
/// the queued lock-free hits first, so the policies see every access before the change they may decide.
/// </summary>
internal ref struct WriteScope
{
    private readonly TopTierReader _reader;
    private Lock.Scope _scope;

    public WriteScope(TopTierReader reader)
    {
        _reader = reader;
        _scope = reader.Lock.EnterScope();
        reader.Drain();
        reader.BeginWrite();
    }

    public void Dispose()
    {
        _reader.EndWrite();
        _scope.Dispose();
    }
}
