// Results and the runs' conditions: docs/benchmarks.md, "RequestArrivalBenchmarks".

using System.Globalization;
using KvTiering.Store;

namespace KvTiering.Benchmarks;

/// <summary>
/// What each side of <see cref="RequestArrivalBenchmarks"/> does per request, counted instead of timed
/// (<c>request-arrival-work [invocations]</c>): after the benchmark's own setup each timed method runs the given number
/// of invocations (256 requests each) and the stores' statistics before and after give per request the blocks found
/// resident at arrival, each tier's hits, inserts, promotions, demotions, evictions and
/// admissions declined. The resident pair must count
/// the same on both sides (the arrivals' own cost is then all its time difference); where the mixed pair's counts
/// differ, its two stores decided differently, and its time difference is mostly that, not the arrivals.
/// </summary>
internal static class RequestArrivalWork
{
    private const int Requests = 256; // per invocation, RequestArrivalBenchmarks.Requests

    public static int Run(string[] args)
    {
        int invocations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        if (invocations <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(args), invocations, "invocations must be positive.");
        }

        var bench = new RequestArrivalBenchmarks();
        bench.Setup();
        try
        {
            Console.WriteLine($"per request, over {invocations:N0} invocations of {Requests} requests each, after the benchmark's setup");
            Console.WriteLine("side          resident  t0 hits  t1 hits  t2 hits  inserts  promoted  demoted  evicted declined");
            Count("mixed off", bench.OffStore, bench.OfferRequestAgent, invocations);
            Count("mixed on", bench.OnStore, bench.OfferRequestAgentTellRequests, invocations);
            Count("resident off", bench.OffStore, bench.OfferResidentAgent, invocations);
            Count("resident on", bench.OnStore, bench.OfferResidentAgentTellRequests, invocations);
            Count("returning off", bench.OffStore, bench.OfferReturningAgent, invocations);
            Count("returning on", bench.OnStore, bench.OfferReturningAgentTellRequests, invocations);
        }
        finally
        {
            bench.Cleanup();
        }

        return 0;
    }

    private static void Count(string side, TieredKvStore store, Func<int> invoke, int invocations)
    {
        StoreStatistics before = store.GetStatistics();
        long resident = 0;
        for (int i = 0; i < invocations; i++)
        {
            resident += invoke();
        }

        StoreStatistics after = store.GetStatistics();
        double requests = (double)invocations * Requests;
        double Per(Func<TierStatistics, long> of) => (after.Tiers.Sum(of) - before.Tiers.Sum(of)) / requests;
        double Hits(int tier) => (after.Tiers[tier].Hits - before.Tiers[tier].Hits) / requests;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{side,-13} {resident / requests,8:F3} {Hits(0),8:F3} {Hits(1),8:F3} {Hits(2),8:F3} {Per(t => t.Inserts),8:F3} {Per(t => t.Promotions),9:F3} {Per(t => t.Demotions),8:F3} {Per(t => t.Evictions),8:F3} {Per(t => t.Rejections),8:F3}"));
    }
}
