namespace KvTiering.Placement;

/// <summary>Which inference phase dominates a workload's accelerator time.</summary>
public enum WorkloadPhase : byte
{
    /// <summary>Not labelled.</summary>
    Unspecified,

    /// <summary>Long prompts, short answers (agents, RAG, summarisation): prefill FLOPs dominate.</summary>
    PrefillHeavy,

    /// <summary>Short prompts, long answers (generation, reasoning traces): memory-bound decode dominates.</summary>
    DecodeHeavy,
}
