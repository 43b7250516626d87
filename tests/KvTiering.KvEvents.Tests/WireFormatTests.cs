using System.Buffers;
using KvTiering.Events;
using MessagePack;

namespace KvTiering.KvEvents.Tests;

public sealed class WireFormatTests
{
    [Fact]
    public void Batch_RoundTrips_FieldByField()
    {
        var batch = new VllmEventBatch(1733300000.25,
        [
            new VllmKvEvent(KvEventKind.Stored, [1, ulong.MaxValue], 7, [5, 6, 7, 8], 2, null, "CPU", "sql", [["sql", "salt"], []]),
            new VllmKvEvent(KvEventKind.Removed, [1], Medium: "DISK"),
            VllmKvEvent.Cleared,
        ], 3);
        VllmEventBatch back = VllmWireFormat.Decode(VllmWireFormat.Encode(batch));
        Assert.Equal(batch.Timestamp, back.Timestamp);
        Assert.Equal(3, back.DataParallelRank);
        VllmKvEvent stored = back.Events[0];
        Assert.Equal([1UL, ulong.MaxValue], stored.BlockHashes);
        Assert.Equal(7UL, stored.ParentBlockHash);
        Assert.Equal([5, 6, 7, 8], stored.TokenIds!);
        Assert.Equal(("CPU", "sql", 2), (stored.Medium, stored.LoraName, stored.BlockSize));
        Assert.Equal("sql|salt", string.Join("|", stored.ExtraKeys![0]));
        Assert.Empty(stored.ExtraKeys[1]);
        Assert.Equal((KvEventKind.Removed, "DISK"), (back.Events[1].Kind, back.Events[1].Medium));
        Assert.Equal(KvEventKind.AllCleared, back.Events[2].Kind);
    }

    [Fact]
    public void Layout_IsVllmsPositionalArrays_WithDefaultsOmitted()
    {
        byte[] payload = VllmWireFormat.Encode(new VllmEventBatch(1.5,
            [new VllmKvEvent(KvEventKind.Stored, [9], null, [1], 1, null, "GPU"), new VllmKvEvent(KvEventKind.Removed, [9], Medium: "GPU")]));
        var reader = new MessagePackReader(payload);
        Assert.Equal(2, reader.ReadArrayHeader()); // [ts, events]: no rank given, so none written
        Assert.Equal(1.5, reader.ReadDouble());
        Assert.Equal(2, reader.ReadArrayHeader());
        Assert.Equal(8, reader.ReadArrayHeader()); // extra_keys omitted, as msgspec omits a None default
        Assert.Equal("BlockStored", reader.ReadString());
        reader.Skip(); // hashes
        Assert.True(reader.TryReadNil()); // parent
        reader.Skip(); // tokens
        Assert.Equal(1, reader.ReadInt32());
        Assert.True(reader.TryReadNil()); // lora_id
        Assert.Equal("GPU", reader.ReadString());
        Assert.True(reader.TryReadNil()); // lora_name
        Assert.Equal(3, reader.ReadArrayHeader());
        Assert.Equal("BlockRemoved", reader.ReadString());
    }

    [Fact]
    public void Reader_TakesMapsBytesHashesAndUnknownTrailingFields()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(3);
        w.Write("ts"); w.Write(2.0);
        w.Write("data_parallel_rank"); w.Write(1);
        w.Write("events"); w.WriteArrayHeader(2);
        w.WriteMapHeader(4);
        w.Write("type"); w.Write("BlockStored");
        w.Write("block_hashes"); w.WriteArrayHeader(1); w.Write(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        w.Write("token_ids"); w.WriteArrayHeader(0);
        w.Write("group_idx"); w.Write(4);
        w.WriteArrayHeader(5); // a positional BlockRemoved with two trailing fields a newer producer added
        w.Write("BlockRemoved"); w.WriteArrayHeader(1); w.Write(-2L); w.Write(""); w.Write(0); w.Write("full_attention");
        w.Flush();
        VllmEventBatch batch = VllmWireFormat.Decode(buffer.WrittenMemory);
        Assert.Equal(1, batch.DataParallelRank);
        Assert.Equal(0x18191A1B1C1D1E1FUL, batch.Events[0].BlockHashes[0]); // the digest's last 8 bytes, big-endian
        Assert.Null(batch.Events[0].Medium);
        Assert.Equal(unchecked((ulong)-2L), batch.Events[1].BlockHashes[0]);
        Assert.Null(batch.Events[1].Medium); // an empty medium is the device tier, as Dynamo reads it
    }

    [Theory]
    [InlineData(new byte[] { 0xC1 }, "batch is a msgpack Unknown")]
    [InlineData(new byte[] { 0x92, 0xCB }, "ends in the middle")]
    [InlineData(new byte[] { 0x91, 0x01 }, "expected [ts, events, rank?]")]
    [InlineData(new byte[] { 0x92, 0x01, 0x91, 0x91, 0xA3, (byte)'F', (byte)'o', (byte)'o' }, "unknown tag 'Foo'")]
    [InlineData(new byte[] { 0x92, 0x01, 0x90, 0x00 }, "trailing bytes")]
    [InlineData(new byte[] { 0x92, 0x01, 0x91, 0x05 }, "event 0 is a msgpack Integer")]
    public void Malformed_IsAClearError(byte[] payload, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => VllmWireFormat.Decode(payload));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
