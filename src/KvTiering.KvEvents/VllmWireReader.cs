using System.Buffers;
using System.Buffers.Binary;
using KvTiering.Events;
using MessagePack;

namespace KvTiering.KvEvents;

/// <summary>The tolerant reader behind <see cref="VllmWireFormat.Decode"/>: positional arrays or maps.</summary>
internal static class VllmWireReader
{
    public static VllmEventBatch ReadBatch(ref MessagePackReader reader)
    {
        double ts = 0;
        List<VllmKvEvent>? events = null;
        int? rank = null;
        if (reader.NextMessagePackType == MessagePackType.Map)
        {
            int fields = reader.ReadMapHeader();
            for (int i = 0; i < fields; i++)
            {
                switch (reader.ReadString())
                {
                    case "ts": ts = reader.ReadDouble(); break;
                    case "events": events = ReadEvents(ref reader); break;
                    case "data_parallel_rank": rank = reader.TryReadNil() ? null : reader.ReadInt32(); break;
                    default: reader.Skip(); break;
                }
            }
        }
        else
        {
            int count = ExpectArray(ref reader, "batch");
            if (count < 2)
            {
                throw new InvalidDataException($"KV event batch: an array of {count} fields; expected [ts, events, rank?].");
            }

            ts = reader.ReadDouble();
            events = ReadEvents(ref reader);
            if (count > 2)
            {
                rank = reader.TryReadNil() ? null : reader.ReadInt32();
            }

            for (int i = 3; i < count; i++)
            {
                reader.Skip();
            }
        }

        return new VllmEventBatch(ts, events ?? throw new InvalidDataException("KV event batch: no \"events\" field."), rank);
    }

    private static List<VllmKvEvent> ReadEvents(ref MessagePackReader reader)
    {
        int count = ExpectArray(ref reader, "events");
        var events = new List<VllmKvEvent>(count);
        for (int i = 0; i < count; i++)
        {
            events.Add(reader.NextMessagePackType == MessagePackType.Map ? ReadMapEvent(ref reader, i) : ReadArrayEvent(ref reader, i));
        }

        return events;
    }

    private static VllmKvEvent ReadArrayEvent(ref MessagePackReader reader, int index)
    {
        int count = ExpectArray(ref reader, $"event {index}");
        if (count == 0)
        {
            throw new InvalidDataException($"KV event batch: event {index} is an empty array; expected a tag first.");
        }

        string tag = reader.ReadString() ?? "";
        VllmKvEvent e;
        int used;
        switch (tag)
        {
            case "BlockStored":
                if (count < 5)
                {
                    throw new InvalidDataException($"KV event batch: BlockStored event {index} has {count} fields; needs at least 5.");
                }

                ulong[] hashes = ReadHashes(ref reader);
                ulong? parent = ReadOptionalHash(ref reader);
                int[] tokens = ReadTokens(ref reader);
                int blockSize = reader.ReadInt32();
                long? loraId = count > 5 ? ReadOptionalInt64(ref reader) : null;
                string? medium = count > 6 ? reader.ReadString() : null;
                string? loraName = count > 7 ? reader.ReadString() : null;
                string?[][]? extra = count > 8 ? ReadExtraKeys(ref reader) : null;
                used = Math.Min(count, 9);
                e = new VllmKvEvent(KvEventKind.Stored, hashes, parent, tokens, blockSize, loraId, NullIfEmpty(medium), loraName, extra);
                break;
            case "BlockRemoved":
                if (count < 2)
                {
                    throw new InvalidDataException($"KV event batch: BlockRemoved event {index} has no block hashes.");
                }

                ulong[] removed = ReadHashes(ref reader);
                string? removedMedium = count > 2 ? reader.ReadString() : null;
                used = Math.Min(count, 3);
                e = new VllmKvEvent(KvEventKind.Removed, removed, Medium: NullIfEmpty(removedMedium));
                break;
            case "AllBlocksCleared":
                used = 1;
                e = VllmKvEvent.Cleared;
                break;
            default:
                throw new InvalidDataException($"KV event batch: event {index} has the unknown tag '{tag}'.");
        }

        for (int i = used; i < count; i++)
        {
            reader.Skip(); // newer producers append metadata (group_idx, kv_cache_spec_kind, ...)
        }

        return e;
    }

    private static VllmKvEvent ReadMapEvent(ref MessagePackReader reader, int index)
    {
        int fields = reader.ReadMapHeader();
        string? tag = null, medium = null, loraName = null;
        ulong[]? hashes = null;
        ulong? parent = null;
        int[]? tokens = null;
        int blockSize = 0;
        long? loraId = null;
        string?[][]? extra = null;
        for (int i = 0; i < fields; i++)
        {
            switch (reader.ReadString())
            {
                case "type": tag = reader.ReadString(); break;
                case "block_hashes": hashes = ReadHashes(ref reader); break;
                case "parent_block_hash": parent = ReadOptionalHash(ref reader); break;
                case "token_ids": tokens = ReadTokens(ref reader); break;
                case "block_size": blockSize = reader.ReadInt32(); break;
                case "lora_id": loraId = ReadOptionalInt64(ref reader); break;
                case "medium": medium = reader.ReadString(); break;
                case "lora_name": loraName = reader.ReadString(); break;
                case "extra_keys": extra = ReadExtraKeys(ref reader); break;
                default: reader.Skip(); break;
            }
        }

        return tag switch
        {
            "BlockStored" => new VllmKvEvent(KvEventKind.Stored, hashes ?? throw Missing(index, "block_hashes"), parent, tokens ?? [],
                blockSize, loraId, NullIfEmpty(medium), loraName, extra),
            "BlockRemoved" => new VllmKvEvent(KvEventKind.Removed, hashes ?? throw Missing(index, "block_hashes"), Medium: NullIfEmpty(medium)),
            "AllBlocksCleared" => VllmKvEvent.Cleared,
            null => throw Missing(index, "type"),
            _ => throw new InvalidDataException($"KV event batch: event {index} has the unknown type '{tag}'."),
        };
    }

    private static InvalidDataException Missing(int index, string field) =>
        new($"KV event batch: event {index} has no \"{field}\" field.");

    private static string? NullIfEmpty(string? medium) => string.IsNullOrEmpty(medium) ? null : medium;

    private static int ExpectArray(ref MessagePackReader reader, string what)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            throw new InvalidDataException($"KV event batch: {what} is a msgpack {reader.NextMessagePackType}; expected an array.");
        }

        return reader.ReadArrayHeader();
    }

    private static ulong[] ReadHashes(ref MessagePackReader reader)
    {
        int count = ExpectArray(ref reader, "block_hashes");
        var hashes = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            hashes[i] = ReadHash(ref reader);
        }

        return hashes;
    }

    private static ulong? ReadOptionalHash(ref MessagePackReader reader) => reader.TryReadNil() ? null : ReadHash(ref reader);

    private static ulong ReadHash(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Binary:
                // A digest in bytes: vLLM's 64-bit form is int.from_bytes(digest, "big") & (2**64 - 1).
                ReadOnlySequence<byte> bytes = reader.ReadBytes() ?? default;
                Span<byte> last = stackalloc byte[8];
                long skip = Math.Max(0, bytes.Length - 8);
                last.Clear();
                bytes.Slice(skip).CopyTo(last[(int)(8 - (bytes.Length - skip))..]);
                return BinaryPrimitives.ReadUInt64BigEndian(last);
            case MessagePackType.Integer:
                // Producers that write signed 64-bit hashes (SGLang, older Dynamo) keep the same two's-complement bits.
                return reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : unchecked((ulong)reader.ReadInt64());
            default:
                throw new InvalidDataException($"KV event batch: a block hash is a msgpack {reader.NextMessagePackType}; expected an integer or bytes.");
        }
    }

    private static int[] ReadTokens(ref MessagePackReader reader)
    {
        int count = ExpectArray(ref reader, "token_ids");
        var tokens = new int[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = reader.ReadInt32();
        }

        return tokens;
    }

    private static long? ReadOptionalInt64(ref MessagePackReader reader) => reader.TryReadNil() ? null : reader.ReadInt64();

    private static string?[][]? ReadExtraKeys(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        int blocks = ExpectArray(ref reader, "extra_keys");
        var result = new string?[blocks][];
        for (int b = 0; b < blocks; b++)
        {
            if (reader.TryReadNil())
            {
                result[b] = [];
                continue;
            }

            int n = ExpectArray(ref reader, "extra_keys entry");
            var keys = new string?[n];
            for (int k = 0; k < n; k++)
            {
                // Multimodal keys are (hash, offset) tuples: keep their text form, skip anything else.
                keys[k] = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : SkipToNull(ref reader);
            }

            result[b] = keys;
        }

        return result;
    }

    private static string? SkipToNull(ref MessagePackReader reader)
    {
        reader.Skip();
        return null;
    }
}
