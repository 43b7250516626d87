using System.Globalization;
using System.Text;

namespace KvTiering.Placement;

/// <summary>The ledger's text forms: kebab-case action and reason names, and one human line per entry.</summary>
internal static class LedgerText
{
    private static readonly string[] s_actions = Kebab(Enum.GetNames<PlacementAction>());
    private static readonly string[] s_reasons = Kebab(Enum.GetNames<PlacementReason>());

    public static string ActionName(PlacementAction action) => s_actions[(int)action];

    public static string ReasonName(PlacementReason reason) => s_reasons[(int)reason];

    public static bool TryParseAction(string text, out PlacementAction action)
    {
        int i = Array.IndexOf(s_actions, text);
        action = (PlacementAction)Math.Max(i, 0);
        return i >= 0;
    }

    public static bool TryParseReason(string text, out PlacementReason reason)
    {
        int i = Array.IndexOf(s_reasons, text);
        reason = (PlacementReason)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>"1 (dram)", "1" when the name is unknown, or "outside" for -1.</summary>
    public static string TierLabel(int tier, IReadOnlyList<string> names) =>
        tier < 0 ? "outside" : tier < names.Count ? string.Create(CultureInfo.InvariantCulture, $"{tier} ({names[tier]})")
            : tier.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line: sequence, time, action, where from and to, block, session, depth, labels, reason.</summary>
    public static string Describe(in LedgerEntry e, IReadOnlyList<string> names)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"#{e.Sequence} t={e.TimeSeconds:F3}s {ActionName(e.Action),-12} ");
        switch (e.Action)
        {
            case PlacementAction.Bypass:
                sb.Append("not admitted");
                break;
            case PlacementAction.Reject:
                sb.Append("declined by ").Append(TierLabel(e.ToTier, names));
                break;
            case PlacementAction.Load:
            case PlacementAction.WriteFailed:
            case PlacementAction.Unreachable:
                sb.Append("at ").Append(TierLabel(e.ToTier, names));
                break;
            default:
                sb.Append(TierLabel(e.FromTier, names)).Append(" -> ").Append(TierLabel(e.ToTier, names));
                break;
        }

        sb.Append(ci, $"  block {e.Key} session {e.Session} depth {e.Depth} [{e.Labels}] because {ReasonName(e.Reason)}");
        return sb.ToString();
    }

    private static string[] Kebab(string[] names)
    {
        var result = new string[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var sb = new StringBuilder();
            foreach (char c in names[i])
            {
                if (char.IsUpper(c) && sb.Length > 0)
                {
                    sb.Append('-');
                }

                sb.Append(char.ToLowerInvariant(c));
            }

            result[i] = sb.ToString();
        }

        return result;
    }
}
