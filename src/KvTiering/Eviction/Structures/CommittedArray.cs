using System.Runtime.CompilerServices;

namespace KvTiering.Eviction;

/// <summary>
/// Arrays an eviction structure allocates once and then reads and writes at random (key indexes, key cells): written
/// through at construction, so that their pages are the process's before the first reference, not faulted in one by
/// one on the hot path.
/// </summary>
/// <remarks>
/// An array of the large-object heap (85,000 bytes or more) taken from memory the runtime has just obtained is not
/// written by the allocation: the operating system maps each page on its first touch, and a structure probed at random
/// touches its pages in the middle of a replay. On the team's virtual machine a page fault costs microseconds: the agent
/// policy's replay of Mooncake conversation at 5% faulted about 1,200 pages per replay until the runtime began to reuse
/// freed memory (docs/harness.md "Speed", session speed17). Clearing the array writes every page once, at construction.
/// </remarks>
internal static class CommittedArray
{
    /// <summary>The runtime's large-object threshold: smaller arrays are zeroed by the allocation itself.</summary>
    private const long LargeObjectBytes = 85_000;

    /// <summary>A zeroed array of <paramref name="length"/> elements whose pages are written once already.</summary>
    public static T[] Allocate<T>(int length)
        where T : struct
    {
        var array = new T[length];
        if ((long)length * Unsafe.SizeOf<T>() >= LargeObjectBytes)
        {
            Array.Clear(array);
        }

        return array;
    }
}
