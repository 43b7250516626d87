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
/// <see cref="TieredKvStore.PrefetchAsync"/> of a snapshot restore's worth of blocks (190 of 64 KiB) from a remote tier
/// (Garnet embedded in the process) behind a <see cref="DelayRelay"/> adding 0, 1 or 20 ms to every reply: read one at
/// a time (<see cref="RedisTierOptions.ReadWindow"/> and <see cref="RedisTierOptions.WriteWindow"/> 1, the baseline)
/// against windows of 32, interleaved round by round on the same server. Two cases: a top tier with room for the blocks
/// (only reads on the wire), and a full one, where each block moved up pushes one down to the remote tier (a write on
/// the wire too): there, reads 32 with writes 1 (the demotions one <c>SET</c> after another, as before remote26) and
/// reads 32 with writes 32 (the demotions in flight together, <c>DemotionWindow</c>).
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- remote-prefetch [rounds]</c>.</remarks>
internal static class RemotePrefetchRun
{
    private const int Blocks = RelayedGarnet.Blocks;
    private static readonly KvLayout Layout = RelayedGarnet.Layout("remote-prefetch");

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        using var remote = new RelayedGarnet();
        DelayRelay relay = remote.Relay;
        Console.WriteLine($"| Top tier | Reply delay | Read window | Write window | median ms ({rounds} rounds) | min–max ms | vs windows 1 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (bool full in (bool[])[false, true])
        {
            // With room nothing is written, so the write window cannot matter there.
            (int Read, int Write)[] windows = full ? [(1, 1), (32, 1), (32, 32)] : [(1, 1), (32, 32)];
            foreach (int delay in (int[])[0, 1, 20])
            {
                Case[] cases = windows.Select(w => new Case(remote, w.Read, w.Write, full)).ToArray();
                var times = windows.Select(_ => new List<double>()).ToArray();
                for (int r = 0; r < rounds; r++)
                {
                    // Interleaved, rotating which goes first, so all see the same moments of the machine.
                    for (int k = 0; k < cases.Length; k++)
                    {
                        int which = (k + r) % cases.Length;
                        relay.DelayMilliseconds = 0;
                        cases[which].PutBlocksBelow();
                        relay.DelayMilliseconds = delay;
                        times[which].Add(cases[which].TimePrefetch());
                    }
                }

                double baseline = RelayedGarnet.Median(times[0]);
                for (int which = 0; which < cases.Length; which++)
                {
                    double median = RelayedGarnet.Median(times[which]);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {(full ? "full" : "room")} | {delay} ms | {windows[which].Read} | {windows[which].Write} | {median:F1} | {times[which].Min():F1}–{times[which].Max():F1} | {baseline / median:F1}× |"));
                    cases[which].Dispose();
                }
            }
        }

        return 0;
    }


    /// <summary>A store over the relayed server: a DRAM tier, the remote tier below it, and the blocks to bring up.</summary>
    private sealed class Case : IDisposable
    {
        private readonly ConnectionMultiplexer _connection;
        private readonly TieredKvStore _store;
        private readonly BlockKey[] _restore = new BlockKey[Blocks];
        private readonly BlockKey[] _others = new BlockKey[Blocks];
        private readonly bool _full;

        public Case(RelayedGarnet remote, int window, int writeWindow, bool full)
        {
            _full = full;
            RedisTierOptions redis = remote.Options("prefetch", window, writeWindow);
            _connection = RedisTier.Connect(redis);
            var options = new KvStoreOptions { Layout = Layout, Promotion = PromotionMode.ToTop };
            // Full: the top tier holds exactly the other blocks, so each block moved up pushes one of them down.
            options.Tiers.Add(new TierOptions(TierProfiles.Dram, full ? Blocks : 2 * Blocks) { Policy = EvictionPolicy.Lru });
            options.Tiers.Add(RedisTier.Create(_connection, redis, 4 * Blocks));
            _store = new TieredKvStore(options);
            var payload = new byte[Layout.BytesPerBlock];
            new Random(window).NextBytes(payload);
            ulong id = (ulong)(window * 10_000 + writeWindow); // each case its own keys
            for (int i = 0; i < Blocks; i++)
            {
                _restore[i] = new BlockKey((ulong)i + 1, id);
                _others[i] = new BlockKey((ulong)i + 1, 1000_000_000 + id);
                payload[0] = (byte)i;
                _store.Put(_restore[i], i == 0 ? BlockKey.Empty : _restore[i - 1], payload);
            }
        }

        /// <summary>Puts the blocks to restore on the remote tier, the top tier as the case wants it.</summary>
        public void PutBlocksBelow()
        {
            var payload = new byte[Layout.BytesPerBlock];
            if (!_full)
            {
                // Room: the others push the blocks down, then leave, so the top tier has a free slot for each.
                for (int i = 0; i < 2 * Blocks; i++)
                {
                    _store.Put(new BlockKey((ulong)i + 1, 5000), BlockKey.Empty, payload);
                }

                for (int i = 0; i < 2 * Blocks; i++)
                {
                    _store.Remove(new BlockKey((ulong)i + 1, 5000));
                }
            }
            else if (_store.TierOf(_others[0]) < 0)
            {
                for (int i = 0; i < Blocks; i++)
                {
                    _store.Put(_others[i], BlockKey.Empty, payload);
                }
            }
            else
            {
                _store.PrefetchAsync(_others).GetAwaiter().GetResult(); // the others up, the blocks down
            }

            foreach (BlockKey key in _restore)
            {
                if (_store.TierOf(key) != 1)
                {
                    throw new InvalidOperationException($"block {key} is on tier {_store.TierOf(key)}, not the remote one");
                }
            }
        }

        /// <summary>Milliseconds one prefetch of the blocks takes; every block must move up.</summary>
        public double TimePrefetch()
        {
            long start = Stopwatch.GetTimestamp();
            int moved = _store.PrefetchAsync(_restore).GetAwaiter().GetResult();
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (moved != Blocks)
            {
                throw new InvalidOperationException($"{moved} of {Blocks} blocks moved up");
            }

            return ms;
        }

        public void Dispose()
        {
            _store.Dispose();
            _connection.Dispose();
        }
    }
}
