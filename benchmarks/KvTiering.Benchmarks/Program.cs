using BenchmarkDotNet.Running;

// `contention [seconds]` runs the store's contention program (Contention/ContentionRun.cs: tail latency under a
// concurrent thread, which BenchmarkDotNet does not measure); anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "contention")
{
    return KvTiering.Benchmarks.Contention.ContentionRun.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(KvTiering.Benchmarks.HitPathBenchmarks).Assembly).Run(args);
return 0;
