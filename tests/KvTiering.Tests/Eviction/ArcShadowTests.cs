using KvTiering.Eviction;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Eviction;

/// <summary>The ARC shadow that rule 11's pool consults adapts its target by ARC's step, whole or real-valued.</summary>
public sealed class ArcShadowTests
{
    [Theory]
    [InlineData(false, 1.5)] // libCacheSim's and the arc policy's real-valued step: |B2| / |B1| = 3 / 2
    [InlineData(true, 1.0)]  // whole steps: the integer part
    public void A_ghost_hit_in_the_once_list_grows_the_target_by_the_ratio_of_the_ghost_lists(bool wholeSteps, double target)
    {
        var shadow = new ArcShadow(5, wholeSteps);
        // Each reference at depth 0 is a request of its own. Five blocks used twice fill the used-again list.
        foreach (int block in new[] { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4 })
        {
            shadow.Reference(Key(block), 0);
        }

        // Three newcomers used twice push 0, 1, 2 out of the used-again list (ghosts B2 = {0, 1, 2}); with the target
        // at 0, two newcomers used once then leave from the once list (ghosts B1 = {7, 8}).
        foreach (int block in new[] { 5, 5, 6, 6, 7, 8, 9 })
        {
            shadow.Reference(Key(block), 0);
        }

        Assert.Equal(0, shadow.TargetOnce);
        Assert.False(shadow.Reference(Key(7), 0)); // a ghost of the once list: a miss that grows the target

        Assert.Equal(target, shadow.TargetOnce);
    }
}
