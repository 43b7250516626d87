using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.IO.Pipelines;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;

namespace KvTiering.Transfer.Protocol;

/// <summary>
/// The receiving side of the block-frame protocol (<see cref="WireFormat"/>): takes whole frames off the pipe, checks
/// each header and checksum, puts verified blocks into the store, and reads the end frame's counts. The first invalid
/// frame, checksum failure or count mismatch stops the stream with its fault in the <see cref="ReceiveTally"/>: once
/// framing is in doubt nothing after it can be trusted.
/// </summary>
internal sealed class FrameReader(TieredKvStore store)
{
    private enum FrameStep
    {
        NeedMore,
        End,
        Stop,
    }

    /// <summary>Reads frames until the end frame, a fault, or the stream's end (a truncation when a frame was cut).</summary>
    public async ValueTask ReadAsync(PipeReader input, ReceiveTally tally, Deadline deadline)
    {
        using var scratch = new FrameScratch(store.BlockBytes);
        while (true)
        {
            deadline.Restart();
            ReadResult read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            FrameStep step = ConsumeFrames(ref buffer, tally, scratch);
            tally.PendingBytes = step == FrameStep.NeedMore ? buffer.Length : 0;
            tally.PendingIsBlock = tally.PendingBytes > 0 && FirstByte(buffer) != WireFormat.EndFrame;
            input.AdvanceTo(buffer.Start, buffer.End);
            if (step != FrameStep.NeedMore)
            {
                return;
            }

            if (read.IsCompleted)
            {
                tally.DiscardPending(TransferFault.Truncated, "the stream ended");
                return;
            }
        }
    }

    /// <summary>
    /// Takes every whole frame off the front of <paramref name="buffer"/>, putting verified blocks into the store.
    /// Leaves a partial frame in the buffer (<see cref="FrameStep.NeedMore"/>).
    /// </summary>
    private FrameStep ConsumeFrames(ref ReadOnlySequence<byte> buffer, ReceiveTally tally, FrameScratch scratch)
    {
        Span<byte> header = stackalloc byte[WireFormat.FrameHeaderBytes];
        while (true)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (!reader.TryCopyTo(header))
            {
                return FrameStep.NeedMore;
            }

            byte type = header[0];
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            long index = tally.Received;
            if (!IsValidHeader(header, type, length, out string? invalid))
            {
                if (type != WireFormat.EndFrame)
                {
                    tally.OnRejected();
                }

                tally.Fail(TransferFault.InvalidFrame, $"frame {index} is invalid: {invalid}");
                return FrameStep.Stop;
            }

            int covered = WireFormat.FrameHeaderBytes + (int)length;
            if (reader.Remaining < covered + WireFormat.ChecksumBytes)
            {
                return FrameStep.NeedMore;
            }

            reader.Advance(covered);
            reader.TryReadLittleEndian(out long checksum);
            ulong expected = (ulong)checksum;

            ReadOnlySequence<byte> frame = buffer.Slice(0, covered);
            ulong actual = WireFormat.Checksum(frame, scratch.Hash);
            var key = BlockKey.ReadFrom(header[8..]);
            if (actual != expected)
            {
                if (type == WireFormat.BlockFrame)
                {
                    tally.OnRejected();
                }

                tally.Fail(TransferFault.ChecksumMismatch, string.Create(CultureInfo.InvariantCulture,
                    $"frame {index} (key {key}) failed its checksum (sent {expected:x16}, computed {actual:x16}); the stream was stopped because its framing can no longer be trusted"));
                return FrameStep.Stop;
            }

            ReadOnlySequence<byte> payload = frame.Slice(WireFormat.FrameHeaderBytes);
            buffer = buffer.Slice(covered + WireFormat.ChecksumBytes);
            if (type == WireFormat.EndFrame)
            {
                OnEndFrame(payload, tally);
                return FrameStep.End;
            }

            if (key.IsEmpty)
            {
                tally.OnRejected();
                tally.Fail(TransferFault.InvalidFrame, $"frame {index} names the reserved empty key");
                return FrameStep.Stop;
            }

            var parent = BlockKey.ReadFrom(header[24..]);
            ReadOnlySpan<byte> bytes = payload.IsSingleSegment ? payload.FirstSpan : scratch.Gather(payload);
            PutResult put = store.Put(key, parent, bytes, new BlockContext(-1, tally.Session));
            tally.OnStored(put, bytes.Length);
        }
    }

    private bool IsValidHeader(ReadOnlySpan<byte> header, byte type, uint length, out string? reason)
    {
        if (header[1] != 0 || header[2] != 0 || header[3] != 0)
        {
            reason = "its flag and reserved bytes are not zero";
            return false;
        }

        if (type == WireFormat.BlockFrame)
        {
            reason = length is 0 || length > (uint)store.BlockBytes
                ? $"payload length {length} is outside 1..{store.BlockBytes}"
                : null;
        }
        else if (type == WireFormat.EndFrame)
        {
            reason = length != WireFormat.EndPayloadBytes
                ? $"end-frame payload length {length} is not {WireFormat.EndPayloadBytes}"
                : null;
        }
        else
        {
            reason = $"unknown frame type {type}";
        }

        return reason is null;
    }

    private static void OnEndFrame(in ReadOnlySequence<byte> payload, ReceiveTally tally)
    {
        Span<byte> counts = stackalloc byte[WireFormat.EndPayloadBytes];
        payload.CopyTo(counts);
        long sent = BinaryPrimitives.ReadInt64LittleEndian(counts);
        long bytes = BinaryPrimitives.ReadInt64LittleEndian(counts[8..]);
        tally.Announced = sent;
        if (sent != tally.Received || bytes != tally.PayloadBytes)
        {
            tally.Fail(TransferFault.CountMismatch, string.Create(CultureInfo.InvariantCulture,
                $"the sender announced {sent} blocks of {bytes} payload bytes but {tally.Received} blocks of {tally.PayloadBytes} bytes arrived"));
            return;
        }

        tally.Completed = true;
    }

    private static byte FirstByte(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryPeek(out byte value) ? value : (byte)0;
    }

    /// <summary>Per-receive scratch: a streaming hasher for payloads split across segments and one gather buffer.</summary>
    private sealed class FrameScratch(int blockBytes) : IDisposable
    {
        private byte[]? _gather;

        public XxHash3 Hash { get; } = new();

        /// <summary>Copies a payload that spans segments into one buffer, because a store put takes one span.</summary>
        public ReadOnlySpan<byte> Gather(in ReadOnlySequence<byte> payload)
        {
            _gather ??= ArrayPool<byte>.Shared.Rent(blockBytes);
            payload.CopyTo(_gather);
            return _gather.AsSpan(0, (int)payload.Length);
        }

        public void Dispose()
        {
            if (_gather is not null)
            {
                ArrayPool<byte>.Shared.Return(_gather);
                _gather = null;
            }
        }
    }
}
