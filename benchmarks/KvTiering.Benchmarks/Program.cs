using System.Globalization;
using BenchmarkDotNet.Running;

// Two programs that BenchmarkDotNet cannot express run by name; anything else goes to BenchmarkDotNet.
// `flash-paired [rounds]`: the flash device and raw O_DIRECT interleaved round by round (FlashPairedRun.cs).
// `flash-verify-reads [rounds] [deferred GiB] [directory]`: flash reads with the background verification idle against running (FlashVerifyReadsRun.cs).
// `flash-freed-open [written GiB] [rounds] [file GiB] [block KiB] [directory]`: a free's cost and the next open's, header write against zero range (FlashFreedOpenRun.cs).
// `contention [seconds]`: tail latency beside a concurrent thread (Contention/ContentionRun.cs).
// `replay-cpus [policy] [replays]`: the replay alternated between the CPUs, each CPU's times (ReplayCpuCheck.cs).
// `remote-prefetch [rounds]`: a prefetch from a delayed remote tier, one read at a time against a window (RemotePrefetchRun.cs).
// `remote-unreachable [seconds] [threads]`: lookups of kept blocks while the remote server does not answer (RemoteUnreachableRun.cs).
// `remote-restore [rounds]`: a restore's reads from a delayed remote tier, TryGet one by one against ReadBatchAsync (RemoteRestoreRun.cs).
// `remote-save [rounds]`: a save's puts into a full DRAM tier over a delayed remote tier, demotions on the put's path against write-behind, and puts landing in the remote directly likewise (RemoteSaveRun.cs).
// `remote-miss [seconds] [delay ms] [rounds]`: top-tier hits and puts while another thread's lookups miss to a delayed remote tier, against none (RemoteMissRun.cs).
// `request-arrival-work [invocations]`: RequestArrivalBenchmarks' work per request counted, each side (RequestArrivalWork.cs).
// `shared-prefix-save [rounds] [delays]`: a new session's restore on the remote drill's tiers, the shared-prefix save on against off (SharedPrefixSaveRun.cs).
if (args is ["flash-paired", ..])
{
    KvTiering.Benchmarks.FlashPairedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100);
    return 0;
}

if (args is ["flash-verify-reads", ..])
{
    return KvTiering.Benchmarks.FlashVerifyReadsRun.Run(args[1..]);
}

if (args is ["flash-freed-open", ..])
{
    return KvTiering.Benchmarks.FlashFreedOpenRun.Run(args[1..]);
}

if (args is ["contention", ..])
{
    return KvTiering.Benchmarks.Contention.ContentionRun.Run(args[1..]);
}

if (args is ["replay-cpus", ..])
{
    return KvTiering.Benchmarks.ReplayCpuCheck.Run(args[1..]);
}

if (args is ["remote-prefetch", ..])
{
    return KvTiering.Benchmarks.RemotePrefetchRun.Run(args[1..]);
}

if (args is ["remote-unreachable", ..])
{
    return KvTiering.Benchmarks.RemoteUnreachableRun.Run(args[1..]);
}

if (args is ["remote-restore", ..])
{
    return KvTiering.Benchmarks.RemoteRestoreRun.Run(args[1..]);
}

if (args is ["remote-save", ..])
{
    return KvTiering.Benchmarks.RemoteSaveRun.Run(args[1..]);
}

if (args is ["remote-miss", ..])
{
    return KvTiering.Benchmarks.RemoteMissRun.Run(args[1..]);
}

if (args is ["request-arrival-work", ..])
{
    return KvTiering.Benchmarks.RequestArrivalWork.Run(args[1..]);
}

if (args is ["shared-prefix-save", ..])
{
    return KvTiering.Benchmarks.SharedPrefixSaveRun.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(KvTiering.Benchmarks.HitPathBenchmarks).Assembly).Run(args);
return 0;
