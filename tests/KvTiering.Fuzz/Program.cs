using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Simulation.Traces;
using SharpFuzz;

// AFL harnesses over SharpFuzz: `KvTiering.Fuzz <target>` runs one harness under afl-fuzz's fork server;
// `KvTiering.Fuzz replay <target> <file>...` reruns saved inputs; `KvTiering.Fuzz seeds <dir>` writes each target's seed inputs to <dir>/<target>/. An exception a harness does not
// expect is a crash AFL keeps (findings/default/crashes); the in-process MutationFuzzer harnesses in the test projects
// run the same parsers deterministically in every `dotnet test`.
if (args is ["seeds", string dir])
{
    Harnesses.WriteSeeds(dir);
    return 0;
}

if (args is ["replay", string name, .. var files] && Harnesses.All.TryGetValue(name, out Action<byte[]>? replayed))
{
    // Runs saved inputs (AFL's crashes) through a harness without the fuzzer, on an uninstrumented build.
    foreach (string file in files)
    {
        replayed(File.ReadAllBytes(file));
    }

    return 0;
}

if (args is not [string target] || !Harnesses.All.TryGetValue(target, out Action<byte[]>? harness))
{
    Console.Error.WriteLine($"usage: KvTiering.Fuzz <{string.Join('|', Harnesses.All.Keys)}> | seeds <dir>");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    harness(buffer.ToArray());
});
return 0;

internal static class Harnesses
{
    private const int Slots = 4;
    private const int SlotBytes = 4096;
    private static readonly string Work = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), $"kvt-afl-{Environment.ProcessId}")).FullName;

    public static readonly Dictionary<string, Action<byte[]>> All = new(StringComparer.Ordinal)
    {
        ["flash-file"] = FlashFile,
        ["mooncake"] = Mooncake,
    };

    /// <summary>
    /// A whole flash file as the device finds it at open: superblock, heal, header scan, payload verification, reads.
    /// Nothing may throw (a damaged file heals), and a read returns -1 or exactly the block's length.
    /// </summary>
    private static void FlashFile(byte[] input)
    {
        string dir = Path.Combine(Work, "flash");
        Directory.CreateDirectory(dir);
        foreach (string f in Directory.EnumerateFiles(dir))
        {
            File.Delete(f);
        }

        File.WriteAllBytes(Path.Combine(dir, FlashDevice.FileName), input);
        using var device = new FlashDevice(dir, Slots, SlotBytes);
        var buffer = new byte[SlotBytes];
        foreach (RecoveredBlock block in device.Recover())
        {
            int read = device.Read(block.Slot, block.Key, buffer);
            if (read != -1 && read != block.PayloadLength)
            {
                throw new InvalidOperationException($"slot {block.Slot}: read {read} bytes of a {block.PayloadLength}-byte block");
            }
        }
    }

    /// <summary>A Mooncake (or Dynamo agentic) JSON-lines trace: a trace or a <see cref="TraceFormatException"/>.</summary>
    private static void Mooncake(byte[] input)
    {
        string path = Path.Combine(Work, "trace.jsonl");
        File.WriteAllBytes(path, input);
        try
        {
            MooncakeTraceReader.Read(path, "fuzz");
        }
        catch (TraceFormatException)
        {
        }
    }

    public static void WriteSeeds(string dir)
    {
        string flash = Directory.CreateDirectory(Path.Combine(dir, "flash-file")).FullName;
        string scratch = Path.Combine(Work, "seed");
        Directory.CreateDirectory(scratch);
        using (var device = new FlashDevice(scratch, Slots, SlotBytes))
        {
            var payload = new byte[SlotBytes];
            for (int s = 0; s < 3; s++)
            {
                new Random(s).NextBytes(payload);
                device.Write(s, new BlockKey((ulong)s + 1, 7), s == 0 ? BlockKey.Empty : new BlockKey((ulong)s, 7), payload.AsSpan(0, SlotBytes - (s * 100)));
            }
        }

        File.Copy(Path.Combine(scratch, FlashDevice.FileName), Path.Combine(flash, "three-blocks"), overwrite: true);
        string mooncake = Directory.CreateDirectory(Path.Combine(dir, "mooncake")).FullName;
        File.WriteAllText(Path.Combine(mooncake, "plain"),
            "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 8, \"hash_ids\": [1, 2]}\n" +
            "{\"timestamp\": 5, \"input_length\": 1536, \"output_length\": 8, \"hash_ids\": [1, 2, 3]}\n");
        File.WriteAllText(Path.Combine(mooncake, "agentic"),
            "{\"session_id\": \"a\", \"request_id\": \"r1\", \"timestamp\": 0, \"input_length\": 512, \"output_length\": 4, \"hash_ids\": [1]}\n" +
            "{\"session_id\": \"a\", \"request_id\": \"r2\", \"wait_for\": [\"r1\"], \"delay\": 10, \"tool_wait_ms\": 200, \"timestamp\": 900, \"input_length\": 1024, \"output_length\": 4, \"hash_ids\": [1, 2]}\n");
    }
}
