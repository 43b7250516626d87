using System.Buffers;
using KvTiering.Events;
using MessagePack;

namespace KvTiering.KvEvents;

/// <summary>
/// vLLM's KV-event payload: msgpack of an <c>EventBatch</c> <c>[ts, [events…], data_parallel_rank?]</c>, each event a
/// tagged positional array, as msgspec writes <c>array_like=True, tag=True, omit_defaults=True</c> structs.
/// </summary>
/// <remarks>
/// Field order follows vllm/distributed/kv_events.py and Dynamo's lib/kv-router/src/zmq_wire (README and
/// deserialize.rs): <c>["BlockStored", block_hashes, parent_block_hash, token_ids, block_size, lora_id, medium,
/// lora_name, extra_keys?]</c>, <c>["BlockRemoved", block_hashes, medium]</c>, <c>["AllBlocksCleared"]</c>. Fields with
/// defaults are omitted when default, as msgspec does. The reader is as tolerant as Dynamo's: it takes positional
/// arrays or maps (by field name, with the tag under <c>"type"</c>), ignores unknown trailing fields, and reads a block
/// hash given as bytes (vLLM without <c>VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES</c>) by its last 8 bytes, big-endian —
/// vLLM's own int conversion. docs/kv-events.md has the format with examples.
/// </remarks>
public static class VllmWireFormat
{
    /// <summary>Writes <paramref name="batch"/> to <paramref name="output"/>.</summary>
    public static void Write(VllmEventBatch batch, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(batch.DataParallelRank is null ? 2 : 3);
        writer.Write(batch.Timestamp);
        writer.WriteArrayHeader(batch.Events.Count);
        foreach (VllmKvEvent e in batch.Events)
        {
            WriteEvent(ref writer, e);
        }

        if (batch.DataParallelRank is int rank)
        {
            writer.Write(rank);
        }

        writer.Flush();
    }

    /// <summary>The payload of <paramref name="batch"/> as a new array.</summary>
    public static byte[] Encode(VllmEventBatch batch)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(batch, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one payload.</summary>
    /// <exception cref="InvalidDataException">The payload is not a vLLM event batch; the message says where.</exception>
    public static VllmEventBatch Decode(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var reader = new MessagePackReader(payload);
            VllmEventBatch batch = VllmWireReader.ReadBatch(ref reader);
            if (!reader.End)
            {
                throw new InvalidDataException($"KV event batch: {payload.Length - reader.Consumed} trailing bytes after the batch.");
            }

            return batch;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new InvalidDataException($"KV event batch: not valid msgpack ({ex.Message}).", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("KV event batch: the payload ends in the middle of a value.", ex);
        }
    }

    private static void WriteEvent(ref MessagePackWriter writer, VllmKvEvent e)
    {
        switch (e.Kind)
        {
            case KvEventKind.Stored:
                writer.WriteArrayHeader(e.ExtraKeys is null ? 8 : 9);
                writer.Write("BlockStored");
                WriteHashes(ref writer, e.BlockHashes);
                WriteOptional(ref writer, e.ParentBlockHash);
                int[] tokens = e.TokenIds ?? [];
                writer.WriteArrayHeader(tokens.Length);
                foreach (int t in tokens)
                {
                    writer.Write(t);
                }

                writer.Write(e.BlockSize);
                if (e.LoraId is long loraId)
                {
                    writer.Write(loraId);
                }
                else
                {
                    writer.WriteNil();
                }

                writer.Write(e.Medium);
                writer.Write(e.LoraName);
                if (e.ExtraKeys is not null)
                {
                    writer.WriteArrayHeader(e.ExtraKeys.Length);
                    foreach (string?[]? keys in e.ExtraKeys)
                    {
                        if (keys is null || keys.Length == 0)
                        {
                            writer.WriteNil();
                            continue;
                        }

                        writer.WriteArrayHeader(keys.Length);
                        foreach (string? k in keys)
                        {
                            writer.Write(k);
                        }
                    }
                }

                break;
            case KvEventKind.Removed:
                writer.WriteArrayHeader(3);
                writer.Write("BlockRemoved");
                WriteHashes(ref writer, e.BlockHashes);
                writer.Write(e.Medium);
                break;
            default:
                writer.WriteArrayHeader(1);
                writer.Write("AllBlocksCleared");
                break;
        }
    }

    private static void WriteHashes(ref MessagePackWriter writer, ulong[] hashes)
    {
        writer.WriteArrayHeader(hashes.Length);
        foreach (ulong h in hashes)
        {
            writer.Write(h);
        }
    }

    private static void WriteOptional(ref MessagePackWriter writer, ulong? value)
    {
        if (value is ulong v)
        {
            writer.Write(v);
        }
        else
        {
            writer.WriteNil();
        }
    }
}
