namespace KvTiering.Placement;

/// <summary>The size class of the model serving the workload.</summary>
public enum ModelScale : byte
{
    /// <summary>Not labelled.</summary>
    Unspecified,

    /// <summary>A small model (single-accelerator class, e.g. 7–8B).</summary>
    Small,

    /// <summary>A large model (multi-accelerator class, e.g. 70B and up).</summary>
    Large,
}
