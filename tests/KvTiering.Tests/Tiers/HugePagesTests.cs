using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tiers;

namespace KvTiering.Tests.Tiers;

public sealed unsafe class HugePagesTests
{
    [Fact]
    public void A_slab_of_a_huge_page_or_more_is_huge_page_aligned_and_holds_its_bytes()
    {
        nuint bytes = 3 * HugePages.Bytes + 4096;
        byte* slab = HugePages.Allocate(bytes);
        try
        {
            Assert.Equal(0UL, (ulong)slab % HugePages.Bytes);
            var span = new Span<byte>(slab, (int)bytes);
            span.Fill(0x5A);
            Assert.Equal(-1, span.IndexOfAnyExcept((byte)0x5A));
        }
        finally
        {
            NativeMemory.AlignedFree(slab);
        }
    }

    [Fact]
    public void A_small_slab_is_cache_line_aligned()
    {
        byte* slab = HugePages.Allocate(4096);
        try
        {
            Assert.Equal(0UL, (ulong)slab % 64);
        }
        finally
        {
            NativeMemory.AlignedFree(slab);
        }
    }

    [Fact]
    public void A_memory_device_of_large_blocks_round_trips_every_slot()
    {
        const int slotBytes = 1024 * 1024; // 4 slots: one 4 MiB slab, advised
        using var device = new MemoryDevice(4, slotBytes);
        var block = new byte[slotBytes];
        var read = new byte[slotBytes];
        for (int slot = 0; slot < 4; slot++)
        {
            block.AsSpan().Fill((byte)(slot + 1));
            device.Write(slot, new BlockKey((ulong)slot + 1, 1), BlockKey.Empty, block);
        }

        for (int slot = 0; slot < 4; slot++)
        {
            Assert.Equal(slotBytes, device.Read(slot, new BlockKey((ulong)slot + 1, 1), read));
            Assert.Equal(-1, read.AsSpan().IndexOfAnyExcept((byte)(slot + 1)));
        }
    }
}
