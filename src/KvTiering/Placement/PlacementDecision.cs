namespace KvTiering.Placement;

/// <summary>What the router decided and why.</summary>
/// <param name="Action">
/// For an entry decision, <see cref="PlacementAction.Admit"/> or <see cref="PlacementAction.Bypass"/>; for a
/// lower-tier hit, <see cref="PlacementAction.Load"/> or <see cref="PlacementAction.Recompute"/>.
/// </param>
/// <param name="Tier">The entry tier (-1 for a bypass); -1 for a load-or-recompute decision.</param>
/// <param name="Reason">The rule that decided.</param>
public readonly record struct PlacementDecision(PlacementAction Action, int Tier, PlacementReason Reason);
