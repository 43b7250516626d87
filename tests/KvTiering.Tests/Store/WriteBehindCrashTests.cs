using System.Buffers.Binary;
using System.Diagnostics;
using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Store;
using KvTiering.Tests.Tiers;
using KvTiering.Tiers;

namespace KvTiering.Tests.Store;

/// <summary>
/// Kills (SIGKILL) a child process while its store writes demotions behind into flash, then reopens the flash tier:
/// every block it recovers must read back with exactly the bytes put; a torn write may only be a miss.
/// </summary>
public sealed class WriteBehindCrashTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_kill_during_write_behind_leaves_only_blocks_that_verify()
    {
        string child = ChildPath();
        string directory = _temp.Sub("flash");
        Directory.CreateDirectory(directory);
        for (int round = 0; round < 3; round++)
        {
            using var process = Process.Start(new ProcessStartInfo("dotnet", [child, directory])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            Assert.Equal("ready", process.StandardOutput.ReadLine());
            Thread.Sleep(20 * (round + 1)); // somewhere in the middle of the writes
            process.Kill(); // SIGKILL on Linux: no flush, no dispose
            process.WaitForExit();

            using var store = new TieredKvStore(Options(directory));
            var buffer = new byte[store.BlockBytes];
            var expected = new byte[store.BlockBytes];
            int verified = 0;
            for (int id = 0; id < 100_000 && verified < store.Count; id++)
            {
                if (store.TryGet(new BlockKey((ulong)id + 1, 0xC0FFEE), buffer, out int written))
                {
                    Fill(id, expected);
                    Assert.True(written == store.BlockBytes && buffer.AsSpan().SequenceEqual(expected), $"round {round}: block {id} came back wrong");
                    verified++;
                }
            }

            Assert.True(verified > 0, $"round {round}: nothing recovered");
        }
    }

    private static KvStoreOptions Options(string directory)
    {
        var options = new KvStoreOptions { Layout = new KvLayout("crash", 1, 1, 128, 2, 16) };
        options.Tiers.Add(new TierOptions(new TierProfile("dram", TierKind.Dram, 1e10, 1e10, TimeSpan.Zero, 0, 0), 4)
        {
            Policy = EvictionPolicy.Lru,
        });
        options.Tiers.Add(new TierOptions(new TierProfile("flash", TierKind.Flash, 3e9, 2e9, TimeSpan.Zero, 0, 0), 256)
        {
            Policy = EvictionPolicy.Lru,
            Directory = directory,
            FlashRecoveryVerificationBudget = PatientFlash.Budget, // the test checks what the reopen finds
        });
        return options;
    }

    private static void Fill(int id, Span<byte> payload)
    {
        for (int i = 0; i < payload.Length; i += 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(payload[i..], (id * 7919) ^ (i * 31));
        }
    }

    /// <summary>The child's dll: built beside this project's output, under the same configuration and framework.</summary>
    private static string ChildPath()
    {
        string here = AppContext.BaseDirectory;
        string path = Path.GetFullPath(here.Replace(
            $"{Path.DirectorySeparatorChar}KvTiering.Tests{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}KvTiering.CrashChild{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        path = Path.Combine(path, "KvTiering.CrashChild.dll");
        Assert.True(File.Exists(path), $"the crash child is not built at {path}");
        return path;
    }
}
