namespace KvTiering.Devices;

/// <summary>What a flash tier does when its file cannot be used: a corrupt superblock, or another format or geometry.</summary>
public enum CorruptFileAction
{
    /// <summary>
    /// Move the file aside (<c>blocks.kvt.corrupt-&lt;utc&gt;</c>, keeping at most one such copy), log a warning, count
    /// it, and start the tier empty (the default): a cache that loses its contents costs recompute, one that refuses to
    /// start costs the service.
    /// </summary>
    Recreate,

    /// <summary>Refuse to open, throwing <see cref="InvalidDataException"/> that names the file and the fault.</summary>
    Throw,
}
