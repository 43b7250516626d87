using System.Globalization;
using System.Runtime.InteropServices;

namespace KvTiering.Benchmarks.Contention;

/// <summary>
/// Where the hit thread runs and what else that CPU served: the contention program's <c>cpu=N</c> flag pins the hit
/// loop (the store's and the raw ceiling's) to CPU N for the loop only, after the mover and the writers have started,
/// so they keep every CPU (a Linux thread inherits its creator's mask). And each CPU's interrupt time over a phase,
/// from <c>/proc/stat</c>: on this VM the block device's completions all land on one vCPU (virtio1-req.0 on CPU 1),
/// and a hit loop there pays for every write-behind I/O's interrupt (session 25, docs/benchmarks.md). Linux only.
/// </summary>
internal static partial class HitCpu
{
    /// <summary>Pins the calling thread to <paramref name="cpu"/> (null: nothing) until the result is disposed, then restores its mask.</summary>
    public static IDisposable? Pin(int? cpu)
    {
        if (cpu is not { } n)
        {
            return null;
        }

        ulong previous = 0;
        ulong mask = 1UL << n;
        if (GetAffinity(0, sizeof(ulong), ref previous) != 0 || SetAffinity(0, sizeof(ulong), ref mask) != 0)
        {
            throw new InvalidOperationException($"cpu={n}: sched_setaffinity failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return new Restore(previous);
    }

    /// <summary>The CPU the calling thread runs on now.</summary>
    public static int Current() => GetCpu();

    /// <summary>Each CPU's hardware and software interrupt time so far, milliseconds (<c>/proc/stat</c>'s irq and softirq, USER_HZ 100).</summary>
    public static double[] InterruptMs()
    {
        var result = new List<double>();
        foreach (string line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3]))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                result.Add((long.Parse(f[6], CultureInfo.InvariantCulture) + long.Parse(f[7], CultureInfo.InvariantCulture)) * 10.0);
            }
        }

        return [.. result];
    }

    /// <summary>One line: each CPU's interrupt milliseconds between two <see cref="InterruptMs"/> readings.</summary>
    public static string Since(double[] before)
    {
        double[] now = InterruptMs();
        return string.Join(", ", now.Select((ms, cpu) => string.Create(CultureInfo.InvariantCulture, $"cpu {cpu} {ms - before[cpu]:0} ms")));
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int SetAffinity(int pid, nint size, ref ulong mask);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int GetAffinity(int pid, nint size, ref ulong mask);

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int GetCpu();

    private sealed class Restore(ulong mask) : IDisposable
    {
        public void Dispose()
        {
            ulong m = mask;
            _ = SetAffinity(0, sizeof(ulong), ref m);
        }
    }
}
