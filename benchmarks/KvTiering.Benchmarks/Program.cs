using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(KvTiering.Benchmarks.HitPathBenchmarks).Assembly).Run(args);
