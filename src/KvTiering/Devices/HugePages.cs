using System.Runtime.InteropServices;

namespace KvTiering.Devices;

/// <summary>Native slabs that ask the OS for transparent huge pages where a slab is large enough to use them.</summary>
/// <remarks>
/// A 2 MiB block spans 512 pages of 4 KiB, and copying it in or out walks the page table for each one the TLB misses.
/// Most Linux distributions run transparent huge pages in <c>madvise</c> mode, where memory gets 2 MiB pages only when
/// asked. On the 2-core VM of docs/benchmarks.md ("PayloadBenchmarks": <c>MemoryCopy</c> against
/// <c>MemoryCopyHugePages</c>, the same run) a 2 MiB copy out of an advised slab took 91.4 against 107.6 µs on
/// 2026-12-04 (1.18× the bandwidth), but 99.3 ± 15.9 against 90.2 ± 9.9 µs on 2026-12-07 (not faster, within the
/// errors): the gain is not reliable there. The advice is only advice: where huge pages are off, unavailable or not
/// Linux, the slab keeps ordinary pages and works the same.
/// </remarks>
internal static unsafe partial class HugePages
{
    /// <summary>The x86-64 and arm64 huge page size (PMD size).</summary>
    public const nuint Bytes = 2 * 1024 * 1024;

    private const int MadviseHugePage = 14; // MADV_HUGEPAGE, <linux/mman.h>
    private static bool s_unavailable;

    /// <summary>A 64-byte-aligned native slab; a slab of at least one huge page is huge-page aligned and advised.</summary>
    public static byte* Allocate(nuint bytes)
    {
        if (bytes < Bytes || !OperatingSystem.IsLinux() || s_unavailable)
        {
            return (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        }

        byte* slab = (byte*)NativeMemory.AlignedAlloc(bytes, Bytes);
        try
        {
            _ = Madvise(slab, bytes, MadviseHugePage); // failure only means ordinary pages
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
        }

        return slab;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Madvise(void* address, nuint length, int advice);
}
