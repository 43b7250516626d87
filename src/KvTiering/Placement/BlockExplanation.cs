using System.Text;
using KvTiering.Blocks;

namespace KvTiering.Placement;

/// <summary>Where a block is now, and the ledger entries that put it there (oldest first).</summary>
public sealed record BlockExplanation
{
    /// <summary>The block.</summary>
    public required BlockKey Key { get; init; }

    /// <summary>The tier that holds it now, or -1 when it is not resident (or, from a ledger file, not known to be).</summary>
    public required int Tier { get; init; }

    /// <summary>The name of <see cref="Tier"/>'s profile, or null.</summary>
    public string? TierName { get; init; }

    /// <summary>Its session (0 when unknown).</summary>
    public long Session { get; init; }

    /// <summary>Its workload labels.</summary>
    public WorkloadLabels Labels { get; init; }

    /// <summary>Every ledger entry about the block still in the ring, oldest first (empty when the store has no ledger).</summary>
    public required IReadOnlyList<LedgerEntry> History { get; init; }

    /// <summary>False when the ring has dropped older entries, some of which may have concerned this block.</summary>
    public bool HistoryComplete { get; init; } = true;

    /// <summary>Tier names by index, for the story.</summary>
    public IReadOnlyList<string> TierNames { get; init; } = [];

    /// <summary>The story: one line for where the block is, then one per ledger entry.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("block ").Append(Key.ToString()).Append(": ");
        sb.Append(Tier >= 0 ? $"in tier {LedgerText.TierLabel(Tier, TierNames)}" : "not resident");
        sb.Append(", session ").Append(Session).Append(", ").Append(Labels.ToString());
        if (!HistoryComplete)
        {
            sb.Append(" (older ledger entries were dropped)");
        }

        sb.AppendLine();
        foreach (LedgerEntry entry in History)
        {
            sb.Append("  ").AppendLine(LedgerText.Describe(entry, TierNames));
        }

        return sb.ToString();
    }
}
