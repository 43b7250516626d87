using KvTiering.Blocks;
using KvTiering.Devices;

namespace KvTiering.Tests.Devices;

/// <summary>
/// The flash device's slot table alone (no file): which slots a read may touch, the checks a read and a write make,
/// and the states a free or a failed header invalidation leaves.
/// </summary>
public sealed class FlashSlotTableTests
{
    private static readonly BlockKey A = new(1, 0x5EED);
    private static readonly BlockKey B = new(2, 0x5EED);

    [Fact]
    public void A_remembered_block_is_readable_by_its_key_only()
    {
        var table = new FlashSlotTable(4, 1000);
        Assert.Equal(-1, table.BeginRead(1, A, 1000));

        table.Remember(1, A, rawLength: 700, storedLength: 300, checksum: 0xC0FFEE);

        Assert.Equal(700, table.BeginRead(1, A, 1000));
        Assert.Equal(-1, table.BeginRead(1, B, 1000));
        Assert.Equal(-1, table.BeginRead(2, A, 1000));
        Assert.Equal(700, table.PayloadLength(1));
        Assert.Equal(300, table.StoredLength(1));
        Assert.Equal(0xC0FFEEUL, table.Checksum(1));
    }

    [Fact]
    public void A_read_into_a_short_destination_names_it()
    {
        var table = new FlashSlotTable(4, 1000);
        table.Remember(0, A, 700, 700, 1);

        ArgumentException ex = Assert.Throws<ArgumentException>(() => table.BeginRead(0, A, 699));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("699", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void A_write_that_does_not_fit_a_slot_is_refused(int length)
    {
        var table = new FlashSlotTable(4, 1000);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => table.CheckWrite(A, length));
        Assert.Equal("payload", ex.ParamName);
        Assert.Contains(length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        table.CheckWrite(A, 1000);
    }

    [Fact]
    public void A_write_of_the_empty_key_is_refused()
    {
        var table = new FlashSlotTable(4, 1000);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => table.CheckWrite(BlockKey.Empty, 10)).ParamName);
    }

    [Fact]
    public void Free_is_needed_once_and_hides_the_block()
    {
        var table = new FlashSlotTable(4, 1000);
        Assert.False(table.TryFree(3)); // known empty: no header to zero

        table.Remember(3, A, 10, 10, 1);
        Assert.True(table.TryFree(3));
        Assert.Equal(-1, table.BeginRead(3, A, 1000));
        Assert.Equal(0, table.PayloadLength(3));

        // Its header could not be zeroed: still stale, so a second free tries again.
        table.Invalidated(3, headerZeroed: false);
        Assert.True(table.TryFree(3));

        table.Invalidated(3, headerZeroed: true);
        Assert.False(table.TryFree(3));
    }

    [Fact]
    public void A_slot_left_unverified_or_reset_is_not_readable()
    {
        var table = new FlashSlotTable(4, 1000);
        table.Remember(0, A, 10, 10, 1);
        table.MarkStale(0);
        Assert.Equal(-1, table.BeginRead(0, A, 1000));

        table.Remember(1, B, 10, 10, 1);
        table.Reset(1);
        Assert.Equal(-1, table.BeginRead(1, B, 1000));
        Assert.False(table.TryFree(1));
    }
}
