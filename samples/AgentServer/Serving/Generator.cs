using System.Diagnostics;
using System.Globalization;
using System.Text;
using AgentServer.Engine;
using AgentServer.Events;
using KvTiering.LLamaSharp;
using KvTiering.Store;
using LLama.Native;

namespace AgentServer.Serving;

/// <summary>
/// Runs one request on one sequence: restore the longest stored prefix, prefill the rest, generate greedily, trim the
/// reply off, and save the prompt's snapshot for the session's next turn (telling the KV-event publisher, if any).
/// </summary>
/// <remarks>
/// The snapshot covers the prompt, not the reply: the reply's tokens were decoded one at a time, which llama.cpp
/// computes a hair differently from a batched prefill, so saving only the prompt keeps every later turn's logits
/// bit-identical to an uncached run (docs/llamasharp.md, "Bit-identical logits").
/// </remarks>
internal sealed class Generator(LlamaEngine engine, TieredKvStore store, LlamaPrefixCache? cache, ServerKvEvents? events = null)
{
    /// <summary>
    /// While a request waits for a sequence, brings the snapshot its restore will load up to DRAM (none without a
    /// prefix cache). Returns how many blocks moved.
    /// </summary>
    public Task<int> PrefetchAsync(LLamaToken[] prompt, CancellationToken cancellationToken) =>
        cache?.PrefetchAsync(prompt, cancellationToken) ?? Task.FromResult(0);

    /// <summary>
    /// Runs the request. The restore awaits its snapshot's reads (a remote tier's round trips) without holding a thread;
    /// the prefill and decode that follow run on the caller's thread, so a caller starts this off the request's thread.
    /// </summary>
    public async Task<Generation> RunAsync(EngineSlot slot, LLamaToken[] prompt, int maxTokens, IReadOnlyList<string> stop, long session,
        long arrival, Action<Generation>? started, Action<string>? onText, CancellationToken cancellationToken)
    {
        // The request was refused if its reply could not fit (CompletionBudget): never cut a reply short silently here.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTokens, engine.ContextSize - prompt.Length);
        SafeLLamaContextHandle context = slot.Context.NativeHandle;
        LLamaSeqId seq = EngineSlot.Sequence;
        PrefixRestore restore;
        if (cache is not null)
        {
            try
            {
                restore = await cache.RestoreAsync(context, seq, prompt, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client left while the snapshot was read: the restore stopped its reads and kept the snapshot.
                return Cancelled(prompt, 0, "cancelled", arrival);
            }
        }
        else
        {
            context.MemorySequenceRemove(seq, -1, -1);
            restore = new PrefixRestore(RestoreOutcome.Miss, prompt.Length, 0, 0, -1);
        }

        string source = cache is null ? "off"
            : restore.IsHit ? store.TierProfileAt(restore.SourceTier).Name
            : restore.Outcome.ToString().ToLowerInvariant();
        string explain = restore.IsHit
            ? string.Create(CultureInfo.InvariantCulture,
                $"{restore.RestoredTokens} of {prompt.Length} prompt tokens restored from {source} (snapshot of {restore.SnapshotTokens}); {restore.TokensToPrefill} prefilled")
            : string.Create(CultureInfo.InvariantCulture, $"0 of {prompt.Length} prompt tokens restored ({source}); {prompt.Length} prefilled");
        LLamaToken next;
        try
        {
            next = ArgMax(LlamaPrefill.Prefill(context, seq, prompt.AsSpan(restore.RestoredTokens), restore.RestoredTokens,
                slot.Batch, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // The client left during the prefill: stop there rather than compute the rest for no one. Nothing is
            // saved (a snapshot covers a whole prompt); the next request on this slot restores or clears the sequence.
            return Cancelled(prompt, restore.RestoredTokens, source, arrival) with { Explain = explain };
        }

        double ttft = Stopwatch.GetElapsedTime(arrival).TotalSeconds;
        var head = new Generation(prompt.Length, restore.RestoredTokens, source, explain, ttft, string.Empty, 0, false, string.Empty, false);
        started?.Invoke(head);

        var decoder = engine.NewDecoder();
        var text = new StringBuilder();
        var stops = new StopScanner(stop);
        int generated = 0;
        bool ended = false;
        while (generated < maxTokens && !cancellationToken.IsCancellationRequested)
        {
            if (engine.IsEndOfGeneration(next))
            {
                ended = true;
                break;
            }

            generated++;
            decoder.Add(next);
            string piece = decoder.Read();
            text.Append(piece);
            string send = stops.Next(text, piece.Length, out bool stopped);
            if (send.Length > 0)
            {
                onText?.Invoke(send);
            }

            if (stopped)
            {
                ended = true; // the reply ends at a stop string as at an end-of-generation token: finish_reason 'stop'
                break;
            }

            if (generated == maxTokens)
            {
                break;
            }

            slot.Batch.Clear();
            slot.Batch.Add(next, prompt.Length + generated - 1, seq, true);
            DecodeResult result = context.Decode(slot.Batch);
            if (result != DecodeResult.Ok)
            {
                throw new InvalidOperationException($"llama.cpp decode at position {prompt.Length + generated - 1} failed: {result}.");
            }

            next = ArgMax(context.GetLogitsIth(0));
        }

        bool cancelled = !ended && generated < maxTokens; // the loop's one other way out: the client left
        string rest = stops.Rest(text);
        if (rest.Length > 0 && !cancelled)
        {
            onText?.Invoke(rest);
        }

        string save = "off";
        if (cache is not null)
        {
            context.MemorySequenceRemove(seq, prompt.Length, -1);
            SnapshotSave saved = cache.Save(context, seq, prompt, session);
            if (saved.Outcome == SaveOutcome.Stored)
            {
                events?.Saved(prompt, saved.Chunks); // an enqueue: the publisher hashes and sends on its own threads
            }

            save = saved.Outcome.ToString().ToLowerInvariant();
        }

        return head with { Text = text.ToString(), CompletionTokens = generated, EndOfGeneration = ended, Save = save, Cancelled = cancelled };
    }

    private static Generation Cancelled(LLamaToken[] prompt, int restored, string source, long arrival) =>
        new(prompt.Length, restored, source, string.Empty, Stopwatch.GetElapsedTime(arrival).TotalSeconds, string.Empty, 0, false, "off", true);

    private static LLamaToken ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
