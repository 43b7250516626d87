namespace KvTiering.KvEvents;

/// <summary>How much of a prompt's prefix one instance holds, and where.</summary>
/// <param name="Instance">The instance's id in its <see cref="ClusterPrefixIndex"/>.</param>
/// <param name="Blocks">Leading blocks of the prompt the instance holds, in any tier.</param>
/// <param name="GpuBlocks">Of those, blocks whose fastest copy is in accelerator memory.</param>
/// <param name="CpuBlocks">Of those, blocks whose fastest copy is in host DRAM.</param>
/// <param name="DiskBlocks">Of those, blocks whose fastest copy is on local disk.</param>
/// <param name="RemoteBlocks">Of those, blocks held only in a remote or unnamed tier.</param>
public readonly record struct PrefixOverlap(int Instance, int Blocks, int GpuBlocks, int CpuBlocks, int DiskBlocks, int RemoteBlocks);
