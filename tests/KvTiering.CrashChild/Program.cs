using System.Buffers.Binary;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tiers;

// Usage: KvTiering.CrashChild <flash directory>. Puts 8 KiB blocks (payload derived from the block's number) into a
// store of 4 DRAM blocks over 256 written-behind flash blocks, forever. After 200 puts it flushes (so the flash file
// holds blocks that must come back whole, however soon the kill lands on a slow machine) and prints "ready"; then it
// keeps putting, write-behind running, until it is killed.
string directory = args[0];
var layout = new KvLayout("crash", 1, 1, 128, 2, 16); // 8 KiB blocks (K and V)
var profile = new TierProfile("dram", TierKind.Dram, 1e10, 1e10, TimeSpan.Zero, 0, 0);
var options = new KvStoreOptions { Layout = layout, WriteBehindBlocks = 8 };
options.Tiers.Add(new TierOptions(profile, 4) { Policy = EvictionPolicy.Lru });
options.Tiers.Add(new TierOptions(new TierProfile("flash", TierKind.Flash, 3e9, 2e9, TimeSpan.Zero, 0, 0), 256)
{
    Policy = EvictionPolicy.Lru,
    Directory = directory,
    WriteBehind = true,
});
using var store = new TieredKvStore(options);
var payload = new byte[layout.BytesPerBlock];
for (int id = 0; ; id++)
{
    for (int i = 0; i < payload.Length; i += 4)
    {
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(i), (id * 7919) ^ (i * 31));
    }

    store.Put(new BlockKey((ulong)id + 1, 0xC0FFEE), BlockKey.Empty, payload);
    if (id == 200)
    {
        store.Flush();
        Console.WriteLine("ready");
        Console.Out.Flush();
    }
}
