namespace KvTiering.LLamaSharp;

/// <summary>The result of a save.</summary>
/// <param name="Outcome">Whether the snapshot was stored, and if not, why.</param>
/// <param name="Tokens">Tokens the snapshot covers.</param>
/// <param name="StateBytes">Bytes of llama.cpp sequence state written (0 unless stored).</param>
/// <param name="Chunks">Store blocks the snapshot took, manifest included (0 unless stored).</param>
public readonly record struct SnapshotSave(SaveOutcome Outcome, int Tokens, long StateBytes, int Chunks);
