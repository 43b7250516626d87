using KvTiering.Blocks;
using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class CommittedArrayTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(100_000)] // on the large-object heap: cleared at construction
    public void A_committed_array_is_zeroed_and_as_long_as_asked(int length)
    {
        BlockKey[] keys = CommittedArray.Allocate<BlockKey>(length);
        Assert.Equal(length, keys.Length);
        Assert.All(keys, k => Assert.Equal(default, k));
    }
}
