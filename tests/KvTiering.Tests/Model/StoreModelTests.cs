using CsCheck;
using KvTiering.Blocks;
using KvTiering.Store;

namespace KvTiering.Tests.Model;

/// <summary>
/// Random programs of Put / TryGet / Remove / Pin / Unpin / MatchPrefix / Hint / reopen against
/// <see cref="StoreModel"/>, shrunk by CsCheck to the shortest failing program. A failure prints a seed; rerun it
/// with the environment variable <c>CsCheck_Seed</c>. Longer runs: <c>CsCheck_Iter=5000</c> (docs/reliability.md;
/// <see cref="ModelIterations"/>).
/// </summary>
public sealed class StoreModelTests
{
    private static Gen<(StoreOp Op, int Key)[]> Program(int keys, bool reopen) =>
        Gen.Select(
            Gen.Frequency(
                (6, Gen.Const(StoreOp.Put)), (5, Gen.Const(StoreOp.TryGet)), (2, Gen.Const(StoreOp.Remove)),
                (2, Gen.Const(StoreOp.Pin)), (2, Gen.Const(StoreOp.Unpin)), (2, Gen.Const(StoreOp.MatchPrefix)),
                (1, Gen.Const(StoreOp.Hint)), (reopen ? 1 : 0, Gen.Const(StoreOp.Reopen))),
            Gen.Int[0, keys - 1]).Array[1, 60];

    private static void Run((StoreOp Op, int Key)[] program, int[] capacities, bool flash, bool roomy)
    {
        using var model = new StoreModel(capacities, flash) { Roomy = roomy };
        foreach ((StoreOp op, int key) in program)
        {
            model.Apply(op, key);
        }
    }

    [Fact]
    public void UnderPressureNeverWrongBytesNeverOverCapacity() =>
        Program(keys: 24, reopen: false).Sample(p => Run(p, [3, 6], flash: false, roomy: false), iter: ModelIterations.Or(300));

    [Fact]
    public void WithRoomEveryLiveBlockStaysAndReadsBack() =>
        Program(keys: 12, reopen: false).Sample(p => Run(p, [4, 16], flash: false, roomy: true), iter: ModelIterations.Or(300));

    [Fact]
    public void AcrossReopenOfAFlashTierEveryLiveBlockSurvives() =>
        Program(keys: 12, reopen: true).Sample(p => Run(p, [4, 16], flash: true, roomy: true),
            iter: ModelIterations.Or(40), threads: 1);

    [Fact]
    public void AcrossReopenUnderPressureNeverWrongBytes() =>
        Program(keys: 24, reopen: true).Sample(p => Run(p, [3, 6], flash: true, roomy: false),
            iter: ModelIterations.Or(40), threads: 1);

    [Fact]
    public void ConcurrentReadersNeverSeeWrongBytes()
    {
        // One writer runs a random program; readers hammer TryGet and MatchPrefix meanwhile. Every hit must be the
        // key's own bytes, and a prefix match over blocks nobody removes never exceeds what is resident.
        Program(keys: 24, reopen: false).Sample(program =>
        {
            using var model = new StoreModel([3, 6], flash: false) { ConcurrentReaders = true };
            TieredKvStore store = model.Store;
            using var stop = new CancellationTokenSource();
            string? failure = null;
            Task[] readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            {
                var buffer = new byte[128];
                var rng = new Random(r);
                while (!stop.IsCancellationRequested && failure is null)
                {
                    int k = rng.Next(24);
                    if (store.TryGet(StoreModel.Key(k), buffer, out int written)
                        && !StoreModel.Payload(k).AsSpan().SequenceEqual(buffer.AsSpan(0, written)))
                    {
                        failure = $"reader {r}: wrong bytes for block {k}";
                    }

                    BlockKey[] chain = [StoreModel.Key(k), StoreModel.Key((k + 1) % 24)];
                    if (store.MatchPrefix(chain).Blocks > chain.Length)
                    {
                        failure = $"reader {r}: prefix match longer than its keys";
                    }
                }
            })).ToArray();
            try
            {
                foreach ((StoreOp op, int key) in program)
                {
                    if (op != StoreOp.TryGet && op != StoreOp.MatchPrefix)
                    {
                        model.Apply(op, key); // the model's read checks assume no reader promotes behind its back
                    }
                }
            }
            finally
            {
                stop.Cancel();
                Task.WaitAll(readers);
            }

            Assert.Null(failure);
        }, iter: ModelIterations.Or(30), threads: 1);
    }
}
