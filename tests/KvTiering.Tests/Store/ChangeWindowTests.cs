using System.Reflection;
using KvTiering.Eviction;
using KvTiering.Store;
using Xunit;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// The seqlock's odd window inside a lock hold: a scope from <see cref="TopTierReader.EnterLocked"/> holds the lock with
/// the version even until its holder calls <see cref="TopTierReader.BeginChange"/>, so lock-free hits keep answering
/// during the hold's checks and policy calls; every change of the table must still move the version, or a hit could
/// trust a lookup a writer changed under it.
/// </summary>
public sealed class ChangeWindowTests
{
    private static TopTierReader TopOf(TieredKvStore store) =>
        (TopTierReader)typeof(TieredKvStore).GetField("_top", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(store)!;

    [Fact]
    public void A_locked_scope_stays_even_until_its_first_change_and_ends_even()
    {
        using TieredKvStore store = Create(4, 8);
        TopTierReader top = TopOf(store);
        long before = top.Version;
        Assert.Equal(0, before & 1);

        using (top.EnterLocked())
        {
            Assert.Equal(before, top.Version); // a lock-free reader that began before the hold still validates
            Assert.False(top.Pause());         // nothing open to pause
            top.Resume(false);
            Assert.Equal(before, top.Version);
            top.BeginChange();
            Assert.Equal(before + 1, top.Version);
            top.BeginChange();                 // opening twice is one window
            Assert.Equal(before + 1, top.Version);
        }

        Assert.Equal(before + 2, top.Version);

        using (top.EnterLocked())
        {
        }

        Assert.Equal(before + 2, top.Version); // a hold that changed nothing invalidates no reader
    }

    [Fact]
    public void A_write_scope_opens_at_entry_and_a_disposed_store_stays_odd()
    {
        TieredKvStore store = Create(4, 8);
        TopTierReader top = TopOf(store);
        long before = top.Version;
        using (top.EnterWrite())
        {
            Assert.Equal(before + 1, top.Version);
            bool paused = top.Pause();
            Assert.True(paused);
            Assert.Equal(before + 2, top.Version);
            top.Resume(paused);
        }

        Assert.Equal(before + 4, top.Version);
        store.Dispose();
        long disposed = top.Version;
        Assert.Equal(1, disposed & 1); // no lock-free read validates after disposal
        using (top.EnterLocked())
        {
            top.BeginChange();
        }

        Assert.Equal(disposed, top.Version); // a later locked scope leaves it odd
    }

    /// <summary>
    /// Fails if a put's or a promotion's table change escapes the odd window: each changes the index and the entry's
    /// tier and slot, so the version must have moved by the time the call returns (and be even again).
    /// </summary>
    [Fact]
    public void Puts_demotions_and_promotions_move_the_version()
    {
        using TieredKvStore store = Create(EvictionPolicy.Lru, 2, 8);
        TopTierReader top = TopOf(store);
        long version = top.Version;
        for (int i = 0; i < 6; i++)
        {
            store.Put(Key(i), default, Payload(i));
            long now = top.Version;
            Assert.True(now > version, $"put {i} changed the table with the version still at {version}");
            Assert.Equal(0, now & 1);
            version = now;
        }

        // Key 0 was demoted by the later puts; reading it promotes it back into the top tier.
        var buffer = new byte[256];
        Assert.True(store.TryGet(Key(0), buffer, out int written, out int tier));
        Assert.Equal(1, tier);
        Assert.Equal(Payload(0), buffer[..written]);
        Assert.True(top.Version > version, "the promotion changed the table with the version unmoved");
        Assert.Equal(0, top.Version & 1);
        Assert.True(store.TryGet(Key(0), buffer, out written, out tier));
        Assert.Equal(0, tier);
        Assert.Equal(Payload(0), buffer[..written]);
    }
}
