using KvTiering.Fuzz;
using SharpFuzz;

// AFL harnesses over SharpFuzz: `KvTiering.Fuzz <target>` runs one harness under afl-fuzz's fork server;
// `KvTiering.Fuzz replay <target> <file>...` reruns saved inputs; `KvTiering.Fuzz seeds <dir>` writes each target's
// seed inputs to <dir>/<target>/. An exception a harness does not expect is a crash AFL keeps
// (findings/default/crashes); the in-process MutationFuzzer harnesses in the test projects run the same parsers
// deterministically in every `dotnet test`.
if (args is ["seeds", string dir])
{
    Harnesses.WriteSeeds(dir);
    return 0;
}

if (args is ["replay", string name, .. var files] && Harnesses.All.TryGetValue(name, out Harness? replayed))
{
    // Runs saved inputs (AFL's crashes) through a harness without the fuzzer, on an uninstrumented build.
    foreach (string file in files)
    {
        replayed.Run(File.ReadAllBytes(file));
    }

    return 0;
}

if (args is not [string target] || !Harnesses.All.TryGetValue(target, out Harness? harness))
{
    Console.Error.WriteLine($"usage: KvTiering.Fuzz <{string.Join('|', Harnesses.All.Keys)}> | replay <target> <file>... | seeds <dir>");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    harness.Run(buffer.ToArray());
});
return 0;
