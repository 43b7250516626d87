using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using Microsoft.Extensions.Time.Testing;
using static KvTiering.Tests.Store.StoreTestKit;

namespace KvTiering.Tests.Store;

/// <summary>
/// Each request offered as a unit (<see cref="TieredKvStore.OfferRequest"/>) of a session reaches the policy of every
/// tier below the top that declares <see cref="IKnowsRequestsAbove"/>, at its arrival, before the request's own
/// touches, with the store's clock; the top tier, session 0, a store with <see cref="KvStoreOptions.TellRequests"/>
/// off and single-block puts tell no policy (docs/architecture.md, "Lower tiers hear of requests served above").
/// </summary>
public sealed class RequestNoticeTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<RequestLogPolicy> _policies = [];

    private EvictionPolicy Policy(bool asStruct) => asStruct
        ? EvictionPolicy.Create("request-log-struct", () => new RequestLogStruct(Track(new RequestLogPolicy())))
        : EvictionPolicy.Create("request-log", () => Track(new RequestLogPolicy()));

    private RequestLogPolicy Track(RequestLogPolicy policy)
    {
        _policies.Add(policy);
        return policy;
    }

    private List<string> LogOf(int tier) => _policies.Single(p => p.TierIndex == tier).Log;

    private TieredKvStore Store(EvictionPolicy policy, bool tell, params int[] capacities)
    {
        var options = new KvStoreOptions { MetadataOnly = true, TimeProvider = _time, TellRequests = tell };
        for (int i = 0; i < capacities.Length; i++)
        {
            options.Tiers.Add(new TierOptions(Profile($"t{i}"), capacities[i]) { Policy = policy });
        }

        return new TieredKvStore(options);
    }

    private static BlockKey[] Keys(params int[] ids) => [.. ids.Select(Key)];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_lower_tier_hears_each_sessions_request_at_arrival_before_its_touches(bool asStruct)
    {
        using TieredKvStore store = Store(Policy(asStruct), tell: true, 2, 2, 8);
        store.OfferRequest(Keys(1, 2), session: 7);          // t = 0
        _time.Advance(TimeSpan.FromSeconds(2.5));
        store.OfferRequest(Keys(3, 4), session: 8);          // t = 2.5: 1 and 2 go down to t1
        _time.Advance(TimeSpan.FromSeconds(1));
        store.OfferRequest(Keys(1), session: 7);             // t = 3.5: a hit in t1, after its arrival there
        store.OfferRequest(Keys(5), session: 0);             // session 0: no arrival told

        Assert.DoesNotContain(LogOf(0), e => e.StartsWith('R'));
        Assert.Equal(["R7@0", "R8@2.5", "I7", "I7", "R7@3.5", "A7"], LogOf(1)[..6]);
        Assert.Equal(["R7@0", "R8@2.5", "R7@3.5"], LogOf(2).Where(e => e.StartsWith('R')));
    }

    [Fact]
    public void With_the_option_off_or_on_one_tier_no_policy_is_told()
    {
        using (TieredKvStore store = Store(Policy(asStruct: false), tell: false, 2, 8))
        {
            store.OfferRequest(Keys(1, 2, 3), session: 7);
        }

        using (TieredKvStore store = Store(Policy(asStruct: true), tell: true, 8))
        {
            store.OfferRequest(Keys(1, 2, 3), session: 7);
            store.Put(Key(4), BlockKey.Empty, default, new BlockContext(0, 7)); // a single-block put is no request
        }

        Assert.All(_policies, p => Assert.DoesNotContain(p.Log, e => e.StartsWith('R')));
    }
}
