using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Security;

namespace KvTiering.Benchmarks;

/// <summary>
/// What sealing flash slots costs (<see cref="FlashDeviceOptions.AuthenticationKey"/>, docs/security.md): a block read
/// and a block write on an unauthenticated device (the baseline) beside devices that seal with HMAC-SHA256 and with
/// GMAC, in the same run, each with O_DIRECT on its own file, one operation at a time, cycling over the slots. The
/// payload is KV-like: half random, half zeros.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class SealedFlashBenchmarks
{
    private const int Slots = 32;
    private static readonly byte[] Secret = [.. Enumerable.Range(0, 32).Select(i => (byte)((i * 29) + 3))];
    private readonly List<string> _directories = [];
    private FlashDevice _plain = null!;
    private FlashDevice _hmac = null!;
    private FlashDevice _gmac = null!;
    private byte[] _payload = null!;
    private byte[] _buffer = null!;
    private BlockKey[] _keys = null!;
    private int _next;

    [Params(64 * 1024, 1024 * 1024)]
    public int BlockBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[BlockBytes];
        new Random(9).NextBytes(_payload.AsSpan(0, BlockBytes / 2));
        _buffer = new byte[BlockBytes];
        _keys = [.. Enumerable.Range(0, Slots).Select(i => new BlockKey((ulong)i + 1, 13))];
        _plain = Open(null, BlockMacAlgorithm.HmacSha256);
        _hmac = Open(Secret, BlockMacAlgorithm.HmacSha256);
        _gmac = Open(Secret, BlockMacAlgorithm.Gmac);
    }

    private FlashDevice Open(byte[]? key, BlockMacAlgorithm algorithm)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"kvtiering-sealed-bench-{Guid.NewGuid():N}");
        _directories.Add(directory);
        var device = new FlashDevice(directory, Slots, BlockBytes, new FlashDeviceOptions { AuthenticationKey = key, MacAlgorithm = algorithm });
        if (!device.DirectIO)
        {
            throw new InvalidOperationException($"No O_DIRECT under {directory}: {device.BufferedReason}");
        }

        for (int i = 0; i < Slots; i++)
        {
            device.Write(i, _keys[i], BlockKey.Empty, _payload);
        }

        if (device.Read(0, _keys[0], _buffer) != BlockBytes || !_buffer.AsSpan().SequenceEqual(_payload))
        {
            throw new InvalidOperationException("The flash device did not return the bytes written.");
        }

        return device;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _hmac.Dispose();
        _gmac.Dispose();
        foreach (string directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Read")]
    public int ReadUnsealed() => Read(_plain);

    [Benchmark]
    [BenchmarkCategory("Read")]
    public int ReadHmacSha256() => Read(_hmac);

    [Benchmark]
    [BenchmarkCategory("Read")]
    public int ReadGmac() => Read(_gmac);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Write")]
    public void WriteUnsealed() => Write(_plain);

    [Benchmark]
    [BenchmarkCategory("Write")]
    public void WriteHmacSha256() => Write(_hmac);

    [Benchmark]
    [BenchmarkCategory("Write")]
    public void WriteGmac() => Write(_gmac);

    private int Read(FlashDevice device)
    {
        int slot = Slot();
        int read = device.Read(slot, _keys[slot], _buffer);
        return read == BlockBytes ? read : throw new InvalidOperationException($"slot {slot} read {read} bytes");
    }

    private void Write(FlashDevice device)
    {
        int slot = Slot();
        device.Write(slot, _keys[slot], BlockKey.Empty, _payload);
    }

    private int Slot()
    {
        int slot = _next;
        _next = (_next + 1) % Slots;
        return slot;
    }
}
