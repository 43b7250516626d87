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
/// A snapshot restore's reads (190 blocks of 64 KiB) from a remote tier (Garnet embedded in the process) behind a
/// <see cref="DelayRelay"/> adding 0, 1 or 20 ms to every reply, into a full DRAM tier: the agent server's restore
/// before restore26 (one <see cref="TieredKvStore.TryGet(in BlockKey, Span{byte}, out int)"/> after another, each hit
/// promoted and pushing one block down, one <c>SET</c> each; the baseline) against
/// <see cref="TieredKvStore.ReadBatchAsync"/> (the default window of 32 reads in flight, nothing promoted), interleaved
/// round by round on the same server.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project benchmarks/KvTiering.Benchmarks -- remote-restore [rounds]</c>.</remarks>
internal static class RemoteRestoreRun
{
    private const int Blocks = RelayedGarnet.Blocks;
    private static readonly KvLayout Layout = RelayedGarnet.Layout("remote-restore");

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        using var remote = new RelayedGarnet();
        DelayRelay relay = remote.Relay;
        Console.WriteLine($"| Reply delay | Read | median ms ({rounds} rounds) | min–max ms | vs TryGet one by one |");
        Console.WriteLine("|---:|---|---:|---:|---:|");
        foreach (int delay in (int[])[0, 1, 20])
        {
            using var oneByOne = new Case(remote, batch: false);
            using var batched = new Case(remote, batch: true);
            var times = new List<double>[] { [], [] };
            for (int r = 0; r < rounds; r++)
            {
                // Interleaved, alternating which goes first, so both see the same moments of the machine.
                foreach (int which in r % 2 == 0 ? (int[])[0, 1] : [1, 0])
                {
                    Case c = which == 0 ? oneByOne : batched;
                    relay.DelayMilliseconds = 0;
                    c.PutBlocksBelow();
                    relay.DelayMilliseconds = delay;
                    times[which].Add(c.TimeRestore());
                }
            }

            double baseline = RelayedGarnet.Median(times[0]);
            for (int which = 0; which < 2; which++)
            {
                double median = RelayedGarnet.Median(times[which]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {delay} ms | {(which == 0 ? "TryGet one by one" : "ReadBatchAsync, window 32")} | {median:F1} | {times[which].Min():F1}–{times[which].Max():F1} | {baseline / median:F1}× |"));
            }
        }

        return 0;
    }


    /// <summary>A store over the relayed server: a full DRAM tier, the remote tier below it, and the blocks to restore.</summary>
    private sealed class Case : IDisposable
    {
        private readonly ConnectionMultiplexer _connection;
        private readonly TieredKvStore _store;
        private readonly BlockKey[] _restore = new BlockKey[Blocks];
        private readonly BlockKey[] _others = new BlockKey[Blocks];
        private readonly byte[] _destination = new byte[Blocks * Layout.BytesPerBlock];
        private readonly BlockRead[] _reads = new BlockRead[Blocks];
        private readonly bool _batch;

        public Case(RelayedGarnet remote, bool batch)
        {
            _batch = batch;
            RedisTierOptions redis = remote.Options("restore");
            _connection = RedisTier.Connect(redis);
            var options = new KvStoreOptions { Layout = Layout, Promotion = PromotionMode.ToTop };
            // The top tier holds exactly the other blocks, so each block promoted pushes one of them down.
            options.Tiers.Add(new TierOptions(TierProfiles.Dram, Blocks) { Policy = EvictionPolicy.Lru });
            options.Tiers.Add(RedisTier.Create(_connection, redis, 4 * Blocks));
            _store = new TieredKvStore(options);
            var payload = new byte[Layout.BytesPerBlock];
            new Random(batch ? 2 : 1).NextBytes(payload);
            ulong tag = batch ? 2UL : 1UL;
            for (int i = 0; i < Blocks; i++)
            {
                _restore[i] = new BlockKey((ulong)i + 1, tag);
                _others[i] = new BlockKey((ulong)i + 1, 1000 + tag);
                payload[0] = (byte)i;
                _store.Put(_restore[i], i == 0 ? BlockKey.Empty : _restore[i - 1], payload);
            }
        }

        /// <summary>Puts the blocks to restore on the remote tier under a full top tier of other blocks.</summary>
        public void PutBlocksBelow()
        {
            if (_store.TierOf(_others[0]) < 0)
            {
                var payload = new byte[Layout.BytesPerBlock];
                for (int i = 0; i < Blocks; i++)
                {
                    _store.Put(_others[i], BlockKey.Empty, payload);
                }
            }
            else if (!_batch)
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

        /// <summary>Milliseconds one restore of the blocks takes; every block must be found with its own first byte.</summary>
        public double TimeRestore()
        {
            long start = Stopwatch.GetTimestamp();
            int found = 0;
            if (_batch)
            {
                found = _store.ReadBatchAsync(_restore, _destination, _reads).GetAwaiter().GetResult();
            }
            else
            {
                for (int i = 0; i < Blocks; i++)
                {
                    found += _store.TryGet(_restore[i], _destination.AsSpan(i * Layout.BytesPerBlock, Layout.BytesPerBlock), out _) ? 1 : 0;
                }
            }

            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            for (int i = 0; i < Blocks; i++)
            {
                if (_destination[i * Layout.BytesPerBlock] != (byte)i)
                {
                    throw new InvalidOperationException($"block {i} came back with another block's bytes");
                }
            }

            if (found != Blocks)
            {
                throw new InvalidOperationException($"{found} of {Blocks} blocks found");
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
