using System.Threading.Channels;
using KvTiering.Blocks;
using KvTiering.Events;
using KvTiering.LLamaSharp;
using LLama.Native;

namespace AgentServer.Events;

/// <summary>
/// <see cref="ServerKvEvents"/>' pump, on its own task: applies the store's events (resyncing from a snapshot where
/// some were dropped, <see cref="StoreEventQueue"/>) and the prompts saved (a turn's, or a shared prefix a restore
/// stored) to the <see cref="SnapshotBlockTracker"/>, whose block events it writes to the publisher's channel.
/// </summary>
internal sealed class ServerKvEventsPump
{
    private readonly SavedPromptKeys _prompts;
    private readonly ChannelReader<(LLamaToken[] Prompt, int Pieces)> _saved;
    private readonly ChannelWriter<KvEvent> _out;
    private readonly SnapshotBlockTracker _tracker;
    private readonly StoreEventQueue _queue;
    private readonly LlamaPrefixCache? _cache;
    private readonly ILogger _logger;
    private readonly List<BlockKey> _unclaimed = [];
    private long _expected;
    private long _resets;
    private long _found;

    public ServerKvEventsPump(SavedPromptKeys prompts, ChannelReader<(LLamaToken[] Prompt, int Pieces)> saved, ChannelWriter<KvEvent> output,
        SnapshotBlockTracker tracker, StoreEventQueue queue, LlamaPrefixCache? cache, ILogger logger)
    {
        _prompts = prompts;
        _saved = saved;
        _out = output;
        _tracker = tracker;
        _queue = queue;
        _cache = cache;
        _logger = logger;
    }

    /// <summary>Times the store's events were lost (a full queue) and every published block was cleared.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Prompts found in the store rather than saved, and published.</summary>
    public long PromptsFound => Interlocked.Read(ref _found);

    /// <summary>Runs until both the store's events and the saved prompts end; a failure clears what routers hold.</summary>
    public async Task RunAsync()
    {
        try
        {
            await PumpAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // What is held is no longer followed: tell routers to forget this server rather than leave stale blocks.
            ServerKvEventsLog.PumpFailed(_logger, ex);
            _out.TryWrite(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default));
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            if (!DrainStore())
            {
                return; // closed during a resync
            }

            while (_saved.TryRead(out (LLamaToken[] Prompt, int Pieces) saved))
            {
                if (!DrainStore()) // the save's store events were queued before it was: apply them first
                {
                    return;
                }

                Register(saved.Prompt, saved.Pieces);
            }

            RegisterUnclaimed();
            _tracker.Settle();
            Task<bool> store = _queue.Current.Reader.WaitToReadAsync().AsTask();
            Task<bool> prompts = _saved.WaitToReadAsync().AsTask();
            await (_queue.UntilRetry is { } retry ? Task.WhenAny(store, prompts, Task.Delay(retry)) : (Task)Task.WhenAny(store, prompts))
                .ConfigureAwait(false); // without a snapshot, the store is looked at again when one is due
            if (store.IsCompleted && !store.Result && prompts.IsCompleted && !prompts.Result)
            {
                return; // both ended and read to the end
            }

            if ((store.IsCompleted && !store.Result) != (prompts.IsCompleted && !prompts.Result))
            {
                await Task.WhenAll(store, prompts).ConfigureAwait(false); // one ended: wait on the other alone
            }
        }
    }

    /// <summary>Applies every queued store event, resyncing where some were dropped; false once the queue is closed.</summary>
    private bool DrainStore()
    {
        while (true)
        {
            KvEventSubscription events = _queue.Current;
            while (events.Reader.TryRead(out KvEvent e))
            {
                if (e.Sequence != _expected)
                {
                    if (!Resync(events.Dropped)) // events were dropped: what the store holds is unknown; read the new snapshot on
                    {
                        return false;
                    }

                    events = _queue.Current;
                    continue;
                }

                _expected = e.Sequence + 1;
                _tracker.Apply(e);
            }

            if (events.Dropped == 0)
            {
                if (!_queue.SnapshotDue())
                {
                    return true;
                }

                ServerKvEventsLog.Retry(_logger);
                if (!Resync(0, retry: true)) // followed without a snapshot long enough: try one again
                {
                    return false;
                }

                continue;
            }

            if (!Resync(events.Dropped)) // the last events were dropped: no later one would show the gap
            {
                return false;
            }
        }
    }

    private bool Resync(long dropped, bool retry = false)
    {
        if (!_queue.Renew(retry))
        {
            return false; // shutting down: Dispose closed the queue, and the pump ends with it
        }

        Interlocked.Increment(ref _resets);
        if (_queue.Complete)
        {
            ServerKvEventsLog.Resync(_logger, dropped);
        }
        else
        {
            ServerKvEventsLog.Incomplete(_logger, dropped, StoreEventQueue.MaxSnapshots);
        }

        _tracker.Reset();
        _out.TryWrite(new KvEvent(0, KvEventKind.AllCleared, default, default, -1, default));
        _expected = 0;
        return true;
    }

    /// <summary>
    /// Registers the snapshots found in the store that no save accounts for: at startup, every one a restart kept, so
    /// a router hears of them before any request; later, a save read before its <see cref="ServerKvEvents.Saved"/> (same hashes).
    /// </summary>
    private void RegisterUnclaimed()
    {
        if (_cache is null)
        {
            return;
        }

        _tracker.TakeUnclaimedManifests(_unclaimed);
        int found = 0;
        foreach (BlockKey manifest in _unclaimed)
        {
            if (_cache.TryReadSnapshotPrompt(manifest, out LLamaToken[]? prompt, out int pieces))
            {
                Register(prompt, pieces);
                found++;
            }
        }

        if (found > 0)
        {
            Interlocked.Add(ref _found, found);
            ServerKvEventsLog.Found(_logger, found, _unclaimed.Count);
        }

        _unclaimed.Clear();
    }

    private void Register(LLamaToken[] prompt, int pieces)
    {
        if (_prompts.TryCompute(prompt, pieces, out BlockKey snapshot, out BlockKey[] pieceKeys, out ulong[] hashes))
        {
            _tracker.Register(snapshot, pieceKeys, hashes);
        }
    }
}
