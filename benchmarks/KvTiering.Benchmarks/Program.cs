using System.Globalization;
using BenchmarkDotNet.Running;

if (args is ["flash-paired", ..])
{
    KvTiering.Benchmarks.FlashPairedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(KvTiering.Benchmarks.HitPathBenchmarks).Assembly).Run(args);
