using System.Diagnostics;
using System.Globalization;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Redis;
using KvTiering.Store;
using KvTiering.Tiers;
using StackExchange.Redis;

namespace KvTiering.Benchmarks;

/// <summary>
/// A snapshot save's puts (190 blocks of 64 KiB) into a full DRAM tier over a remote tier (Garnet embedded in the
/// process) behind a <see cref="DelayRelay"/> adding 0, 1 or 20 ms to every reply, so each put pushes one block down
/// with a <c>SET</c>: demotions written on the put's path (<see cref="TierOptions.WriteBehind"/> off, the baseline)
/// against write-behind with the window of 32 writes in flight and a queue of 128 (the agent server's
/// <c>KvTiering:Redis:WriteBehind</c>), interleaved round by round on the same server. Times the puts, and until every
/// demotion has landed on the server; every pushed-down block must be on the remote tier afterwards. The direct case
/// puts the same blocks past a DRAM tier that admits demotions only (the agent policy's bypass), so each put lands in
/// the remote tier itself: its own <c>SET</c> on the put's path against the put staged and written behind.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- remote-save [rounds]</c>.</remarks>
internal static class RemoteSaveRun
{
    private const int Blocks = RelayedGarnet.Blocks;
    private static readonly KvLayout Layout = RelayedGarnet.Layout("remote-save");

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        using var remote = new RelayedGarnet();
        Console.WriteLine($"| Reply delay | Puts | Remote writes | puts: median ms ({rounds} rounds) | min–max ms | all landed: median ms | vs on the put's path |");
        Console.WriteLine("|---:|---|---|---:|---:|---:|---:|");
        foreach ((int delay, bool direct) in (ReadOnlySpan<(int, bool)>)[(0, false), (1, false), (20, false), (0, true), (1, true), (20, true)])
        {
            using var onPath = new Case(remote, writeBehind: false, direct);
            using var behind = new Case(remote, writeBehind: true, direct);
            var puts = new List<double>[] { [], [] };
            var landed = new List<double>[] { [], [] };
            for (int r = 0; r < rounds; r++)
            {
                foreach (int which in r % 2 == 0 ? (int[])[0, 1] : [1, 0])
                {
                    remote.Relay.DelayMilliseconds = delay;
                    (double put, double all) = (which == 0 ? onPath : behind).TimeSave();
                    puts[which].Add(put);
                    landed[which].Add(all);
                }
            }

            double baseline = RelayedGarnet.Median(puts[0]);
            for (int which = 0; which < 2; which++)
            {
                double median = RelayedGarnet.Median(puts[which]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {delay} ms | {(direct ? "direct to the remote" : "demoting DRAM's victims")} | {(which == 0 ? "on the put's path" : "write-behind, 32 in flight")} | {median:F1} | {puts[which].Min():F1}–{puts[which].Max():F1} | {RelayedGarnet.Median(landed[which]):F1} | {baseline / median:F1}× |"));
            }
        }

        return 0;
    }

    /// <summary>A store over the relayed server: a DRAM tier kept full (or, direct, admitting demotions only), the remote tier below it.</summary>
    private sealed class Case : IDisposable
    {
        private readonly ConnectionMultiplexer _connection;
        private readonly TieredKvStore _store;
        private readonly byte[] _payload = new byte[Layout.BytesPerBlock];
        private readonly ulong _tag;
        private int _round;

        public Case(RelayedGarnet remote, bool writeBehind, bool direct)
        {
            RedisTierOptions redis = remote.Options("save");
            _connection = RedisTier.Connect(redis);
            var options = new KvStoreOptions { Layout = Layout, WriteBehindBlocks = writeBehind ? 4 * redis.WriteWindow : 8 };
            options.Tiers.Add(new TierOptions(TierProfiles.Dram, Blocks)
            {
                Policy = direct ? EvictionPolicy.Create("demotions-only", static () => new DemotionsOnlyPolicy()) : EvictionPolicy.Lru,
            });
            TierOptions tier = RedisTier.Create(_connection, redis, 64 * Blocks);
            tier.WriteBehind = writeBehind;
            options.Tiers.Add(tier);
            _store = new TieredKvStore(options);
            new Random(writeBehind ? 2 : 1).NextBytes(_payload);
            _tag = (writeBehind ? 2UL : 1UL) + (direct ? 2UL : 0UL);
            for (int i = 0; i < Blocks; i++) // round 0 fills the top tier (direct: the remote), untimed
            {
                Put(Key(0, i));
            }
        }

        private BlockKey Key(int round, int i) => new((ulong)(round * Blocks + i + 1), _tag);

        private void Put(BlockKey key)
        {
            _payload[0] = (byte)key.Low;
            _store.Put(key, BlockKey.Empty, _payload);
        }

        /// <summary>One save: milliseconds the puts took, and until every demotion landed; the last round's blocks must all be on the remote tier.</summary>
        public (double Puts, double Landed) TimeSave()
        {
            int round = ++_round;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Blocks; i++)
            {
                Put(Key(round, i));
            }

            double puts = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var spin = new SpinWait();
            while (_store.WriteBehindPending != 0)
            {
                spin.SpinOnce(sleep1Threshold: 20);
            }

            double landed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            TierStatistics below = _store.GetStatistics().Tiers[1];
            if (below.WriteBehindDrops != 0 || below.WriteFailures != 0)
            {
                throw new InvalidOperationException($"{below.WriteBehindDrops} demotions dropped, {below.WriteFailures} writes failed");
            }

            for (int i = 0; i < Blocks; i++)
            {
                if (_store.TierOf(Key(round - 1, i)) != 1)
                {
                    throw new InvalidOperationException($"block {i} of round {round - 1} is on tier {_store.TierOf(Key(round - 1, i))}, not the remote one");
                }
            }

            return (puts, landed);
        }

        public void Dispose()
        {
            _store.Dispose();
            _connection.Dispose();
        }
    }
}
