using LLama.Native;

namespace KvTiering.LLamaSharp;

/// <summary>Prefills prompt tokens into a sequence in batches that keep the logits reproducible.</summary>
public static class LlamaPrefill
{
    /// <summary>
    /// Decodes <paramref name="tokens"/> into <paramref name="sequence"/> at positions
    /// <paramref name="startPosition"/> onward, in batches of at most the context's micro-batch size, and returns the
    /// last token's logits (valid until the next decode). No batch holds a single token unless only one is given.
    /// </summary>
    /// <remarks>
    /// llama.cpp's CPU kernels compute a token alone in a batch (vector path) slightly differently from a token among
    /// others (tiled GEMM path), and every later token reads its keys and values. Never decoding a lone prompt token
    /// makes a prefill's results independent of how the prompt is split: after a restore from
    /// <see cref="LlamaPrefixCache"/>, the logits are bit-identical to those of one full prefill.
    /// </remarks>
    /// <param name="context">The context.</param>
    /// <param name="sequence">The sequence to extend.</param>
    /// <param name="tokens">Tokens to decode; at least one.</param>
    /// <param name="startPosition">Position of the first token (the number of tokens the sequence already holds).</param>
    /// <param name="batch">A reusable batch (cleared first), or null to allocate one.</param>
    /// <param name="cancellationToken">
    /// Checked before each batch: a long prompt's prefill stops within one batch of a client leaving, instead of
    /// computing minutes of prefill for no one. The sequence then holds the batches decoded so far.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> is empty or the start position is negative.</exception>
    /// <exception cref="InvalidOperationException">llama.cpp failed to decode a batch (for example, the context is full).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the last batch.</exception>
    public static ReadOnlySpan<float> Prefill(SafeLLamaContextHandle context, LLamaSeqId sequence,
        ReadOnlySpan<LLamaToken> tokens, int startPosition, LLamaBatch? batch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (tokens.IsEmpty)
        {
            ThrowHelper.ThrowArgument(nameof(tokens), "Prefill needs at least one token: the logits come from the last.");
        }

        if (startPosition < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(startPosition), startPosition, $"Start position {startPosition} is negative.");
        }

        batch ??= new LLamaBatch();
        int limit = (int)Math.Max(2, Math.Min(context.BatchSize, context.UBatchSize));
        int done = 0;
        while (done < tokens.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int left = tokens.Length - done;
            int size = Math.Min(limit, left);
            if (left - size == 1 && size > 2)
            {
                size--; // leave two for the last batch rather than one
            }

            batch.Clear();
            for (int i = 0; i < size; i++)
            {
                batch.Add(tokens[done + i], startPosition + done + i, sequence, done + i == tokens.Length - 1);
            }

            DecodeResult result = context.Decode(batch);
            if (result != DecodeResult.Ok)
            {
                ThrowHelper.ThrowInvalidOperation(
                    $"llama.cpp decode of {size} tokens at position {startPosition + done} failed: {result}.");
            }

            done += size;
        }

        return context.GetLogitsIth(batch.TokenCount - 1);
    }
}
