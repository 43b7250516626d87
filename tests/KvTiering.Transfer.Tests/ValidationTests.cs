using KvTiering.Blocks;
using KvTiering.Store;
using KvTiering.Devices;
using KvTiering.Tiers;
using static KvTiering.Transfer.Tests.TransferTestKit;

namespace KvTiering.Transfer.Tests;

public sealed class ValidationTests
{
    [Fact]
    public void Pipe_options_pause_after_a_few_frames_of_MiB_blocks()
    {
        var options = new BlockTransferOptions { PauseWriterFrames = 4, ResumeWriterFrames = 2 };

        var pipe = options.CreatePipeOptions(2 * 1024 * 1024);

        long frame = (2 * 1024 * 1024) + 48;
        Assert.Equal(4 * frame, pipe.PauseWriterThreshold);
        Assert.Equal(2 * frame, pipe.ResumeWriterThreshold);
        Assert.Equal(1 << 20, pipe.MinimumSegmentSize);
        Assert.False(pipe.UseSynchronizationContext);
    }

    [Fact]
    public void Pipe_options_for_small_blocks_keep_a_floor()
    {
        var pipe = BlockTransferOptions.Default.CreatePipeOptions(128);

        Assert.Equal(256 * 1024, pipe.PauseWriterThreshold);
        Assert.Equal(128 * 1024, pipe.ResumeWriterThreshold);
        Assert.Equal(4096, pipe.MinimumSegmentSize);
    }

    [Fact]
    public void Bad_options_name_the_value()
    {
        var pause = Assert.Throws<ArgumentOutOfRangeException>(() => new BlockTransferOptions { PauseWriterFrames = 1 });
        Assert.Equal("PauseWriterFrames", pause.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockTransferOptions { ResumeWriterFrames = 0 });
        var idle = Assert.Throws<ArgumentOutOfRangeException>(() => new BlockTransferOptions { IdleTimeout = TimeSpan.Zero });
        Assert.Equal("IdleTimeout", idle.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockTransferOptions { ConnectTimeout = TimeSpan.FromSeconds(-1) });
        _ = new BlockTransferOptions { IdleTimeout = Timeout.InfiniteTimeSpan };

        var inverted = new BlockTransferOptions { PauseWriterFrames = 3, ResumeWriterFrames = 3 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => inverted.CreatePipeOptions(1024));
        Assert.Contains("below PauseWriterFrames 3", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockTransferOptions.Default.CreatePipeOptions(0));
    }

    [Fact]
    public void A_hasher_of_another_layout_than_the_store_is_refused()
    {
        using TieredKvStore store = CreateStore(TinyLayout);
        var other = new BlockHasher(TinyLayout.WithTokensPerBlock(8));

        var error = Assert.Throws<ArgumentException>(() => new BlockStreamSender(store, other));
        Assert.Equal("hasher", error.ParamName);
        Assert.Throws<ArgumentException>(() => new BlockStreamReceiver(store, other));
    }

    [Fact]
    public void A_metadata_only_store_is_refused()
    {
        var options = new KvStoreOptions { MetadataOnly = true, Layout = TinyLayout };
        options.Tiers.Add(new TierOptions(new TierProfile("m", TierKind.Dram, 1, 1, TimeSpan.Zero, 0, 0), 4));
        using var store = new TieredKvStore(options);

        var error = Assert.Throws<ArgumentException>(() => new BlockStreamReceiver(store, new BlockHasher(TinyLayout)));
        Assert.Equal("store", error.ParamName);
    }

    [Fact]
    public void Empty_keys_and_mismatched_parents_are_refused_before_anything_is_sent()
    {
        using var ends = new Ends(TinyLayout);
        var (sender, _) = Pair(TinyLayout);
        BlockKey[] chain = ends.SenderChain(2);

        // Both throw synchronously, from the call itself, before the handshake is written.
        var empty = Assert.Throws<ArgumentException>(() =>
        {
            _ = ends.Sender.SendChainAsync(sender, ends.SenderHasher.Root, new[] { chain[0], BlockKey.Empty });
        });
        Assert.Equal("chain", empty.ParamName);
        Assert.Contains("chain[1]", empty.Message);

        var parents = Assert.Throws<ArgumentException>(() =>
        {
            _ = ends.Sender.SendAsync(sender, chain, new[] { chain[0] });
        });
        Assert.Equal("parents", parents.ParamName);
        Assert.Contains("1 parents were given for 2 keys", parents.Message);
    }
}
