using KvTiering.Blocks;
using KvTiering.Events;

namespace KvTiering.KvEvents;

/// <summary>
/// Turns a store's per-block events into vLLM events: a run of stored blocks that chain (each the parent of the next)
/// in one tier becomes one <c>BlockStored</c>, a run of removals from one tier one <c>BlockRemoved</c>, as vLLM emits
/// them per request. A block's 64-bit hash is its key's low half (with <see cref="VllmBlockHasher"/> keys, vLLM's own).
/// </summary>
internal sealed class KvEventBatcher(int blockSize, string? loraName, string? cacheSalt)
{
    private readonly List<VllmKvEvent> _events = [];
    private readonly List<ulong> _hashes = [];
    private readonly List<string?[]> _extra = [];
    private KvEventKind _runKind;
    private int _runTier = -1;
    private BlockKey _runParent;
    private BlockKey _runLast;
    private string _runMedium = KvEventMedium.Gpu;

    public int Count => _events.Count + (_hashes.Count > 0 ? 1 : 0);

    public void Add(in KvEvent e)
    {
        if (e.Kind == KvEventKind.AllCleared)
        {
            Close();
            _events.Add(VllmKvEvent.Cleared);
            return;
        }

        bool continues = _hashes.Count > 0 && e.Kind == _runKind && e.Tier == _runTier
            && (e.Kind == KvEventKind.Removed || e.Parent == _runLast);
        if (!continues)
        {
            Close();
            _runKind = e.Kind;
            _runTier = e.Tier;
            _runParent = e.Parent;
        }

        _hashes.Add(e.Key.Low);
        _runLast = e.Key;
        _runMedium = KvEventMedium.Of(e.Medium);
        if (e.Kind == KvEventKind.Stored && (loraName is not null || cacheSalt is not null))
        {
            bool first = e.Parent.IsEmpty;
            _extra.Add((loraName, first ? cacheSalt : null) switch
            {
                (null, null) => [],
                (string l, null) => [l],
                (null, string s) => [s],
                (string l, string s) => [l, s],
            });
        }
    }

    /// <summary>The events gathered so far, as one batch; the batcher starts over.</summary>
    public VllmEventBatch Drain(double timestamp, int? rank)
    {
        Close();
        var batch = new VllmEventBatch(timestamp, [.. _events], rank);
        _events.Clear();
        return batch;
    }

    private void Close()
    {
        if (_hashes.Count == 0)
        {
            return;
        }

        ulong[] hashes = [.. _hashes];
        _events.Add(_runKind == KvEventKind.Stored
            ? new VllmKvEvent(KvEventKind.Stored, hashes, _runParent.IsEmpty ? null : _runParent.Low, [], blockSize, null, _runMedium,
                loraName, _extra.Count == 0 ? null : [.. _extra])
            : new VllmKvEvent(KvEventKind.Removed, hashes, Medium: _runMedium));
        _hashes.Clear();
        _extra.Clear();
    }
}
