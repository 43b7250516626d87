using System.Runtime.CompilerServices;
using System.Text;

namespace KvTiering.Placement;

/// <summary>
/// What a session or request declares about itself on five axes — prefill- vs decode-heavy, long vs short context,
/// interactive vs batch, small vs large model, edge vs data center — so a <see cref="PlacementRouter"/> can route it
/// and the placement ledger can say why. Every axis may stay <c>Unspecified</c>; <see cref="None"/> labels nothing.
/// </summary>
/// <remarks>
/// Packed into one byte (five three-valued axes: 3⁵ = 243 combinations), so a label costs a byte per resident block
/// and routing is a table lookup by <see cref="Code"/>. Text form: the set axes' names in axis order, comma-separated,
/// e.g. "prefill-heavy,long,interactive"; "unlabeled" for none (docs/placement.md).
/// </remarks>
public readonly struct WorkloadLabels : IEquatable<WorkloadLabels>
{
    /// <summary>Number of distinct label combinations (3⁵).</summary>
    internal const int Combinations = 243;

    private readonly byte _code;

    /// <summary>Labels a workload; axes left out stay unspecified.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not a defined member of its enum.</exception>
    public WorkloadLabels(WorkloadPhase phase = WorkloadPhase.Unspecified, ContextLength context = ContextLength.Unspecified,
        LatencyClass latency = LatencyClass.Unspecified, ModelScale model = ModelScale.Unspecified,
        DeploymentSite site = DeploymentSite.Unspecified)
    {
        Check((byte)phase, nameof(phase));
        Check((byte)context, nameof(context));
        Check((byte)latency, nameof(latency));
        Check((byte)model, nameof(model));
        Check((byte)site, nameof(site));
        _code = (byte)((byte)phase + (3 * ((byte)context + (3 * ((byte)latency + (3 * ((byte)model + (3 * (byte)site))))))));
    }

    private WorkloadLabels(byte code) => _code = code;

    /// <summary>No labels: every axis unspecified (what an unlabelled put carries).</summary>
    public static WorkloadLabels None => default;

    /// <summary>Prefill- or decode-heavy.</summary>
    public WorkloadPhase Phase => (WorkloadPhase)(_code % 3);

    /// <summary>Long or short context.</summary>
    public ContextLength Context => (ContextLength)(_code / 3 % 3);

    /// <summary>Interactive or batch.</summary>
    public LatencyClass Latency => (LatencyClass)(_code / 9 % 3);

    /// <summary>Small or large model.</summary>
    public ModelScale Model => (ModelScale)(_code / 27 % 3);

    /// <summary>Edge or data center.</summary>
    public DeploymentSite Site => (DeploymentSite)(_code / 81);

    /// <summary>Whether no axis is set.</summary>
    public bool IsUnlabeled => _code == 0;

    /// <summary>The packed form, 0 to 242 (0 = unlabelled).</summary>
    internal int Code
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _code;
    }

    internal static WorkloadLabels FromCode(int code) => new((byte)code);

    /// <summary>These labels with every axis that <paramref name="other"/> sets taken from it.</summary>
    public WorkloadLabels With(WorkloadLabels other) => new(
        other.Phase != WorkloadPhase.Unspecified ? other.Phase : Phase,
        other.Context != ContextLength.Unspecified ? other.Context : Context,
        other.Latency != LatencyClass.Unspecified ? other.Latency : Latency,
        other.Model != ModelScale.Unspecified ? other.Model : Model,
        other.Site != DeploymentSite.Unspecified ? other.Site : Site);

    /// <summary>
    /// Parses the text form: comma-separated names from prefill-heavy|decode-heavy, short|long, interactive|batch,
    /// small|large, edge|data-center (alias dc); "" or "unlabeled" for none. Case-insensitive.
    /// </summary>
    /// <exception cref="ArgumentException">A name is unknown, or two names set the same axis; the message names it.</exception>
    public static WorkloadLabels Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed.Equals(UnlabeledText, StringComparison.OrdinalIgnoreCase))
        {
            return None;
        }

        Span<int> axes = stackalloc int[5];
        foreach (string raw in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int axis = -1;
            int value = 0;
            for (int i = 0; i < s_names.Length && axis < 0; i++)
            {
                if (string.Equals(s_names[i].Name, raw, StringComparison.OrdinalIgnoreCase))
                {
                    (axis, value) = (s_names[i].Axis, s_names[i].Value);
                }
            }

            if (axis < 0)
            {
                ThrowHelper.ThrowArgument(nameof(text),
                    $"Unknown workload label '{raw}'. Valid labels: prefill-heavy, decode-heavy, short, long, interactive, " +
                    "batch, small, large, edge, data-center (dc).");
            }

            if (axes[axis] != 0 && axes[axis] != value)
            {
                ThrowHelper.ThrowArgument(nameof(text), $"Workload labels '{text}' set the {s_axisNames[axis]} axis twice ('{raw}').");
            }

            axes[axis] = value;
        }

        return new WorkloadLabels((WorkloadPhase)axes[0], (ContextLength)axes[1], (LatencyClass)axes[2], (ModelScale)axes[3],
            (DeploymentSite)axes[4]);
    }

    /// <summary>The text form, e.g. "prefill-heavy,long,interactive"; "unlabeled" when no axis is set.</summary>
    public override string ToString()
    {
        if (_code == 0)
        {
            return UnlabeledText;
        }

        var sb = new StringBuilder();
        Append(sb, 0, (int)Phase);
        Append(sb, 1, (int)Context);
        Append(sb, 2, (int)Latency);
        Append(sb, 3, (int)Model);
        Append(sb, 4, (int)Site);
        return sb.ToString();
    }

    /// <inheritdoc />
    public bool Equals(WorkloadLabels other) => _code == other._code;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is WorkloadLabels other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _code;

    /// <summary>Whether two label sets are equal.</summary>
    public static bool operator ==(WorkloadLabels left, WorkloadLabels right) => left.Equals(right);

    /// <summary>Whether two label sets differ.</summary>
    public static bool operator !=(WorkloadLabels left, WorkloadLabels right) => !left.Equals(right);

    private const string UnlabeledText = "unlabeled";

    private static readonly string[] s_axisNames = ["phase", "context", "latency", "model", "site"];

    // The first name of each (axis, value) is the one ToString writes.
    private static readonly (string Name, int Axis, int Value)[] s_names =
    [
        ("prefill-heavy", 0, 1), ("decode-heavy", 0, 2), ("short", 1, 1), ("long", 1, 2), ("interactive", 2, 1),
        ("batch", 2, 2), ("small", 3, 1), ("large", 3, 2), ("edge", 4, 1), ("data-center", 4, 2), ("dc", 4, 2),
        ("datacenter", 4, 2),
    ];

    private static void Append(StringBuilder sb, int axis, int value)
    {
        if (value == 0)
        {
            return;
        }

        foreach ((string name, int a, int v) in s_names)
        {
            if (a == axis && v == value)
            {
                if (sb.Length > 0)
                {
                    sb.Append(',');
                }

                sb.Append(name);
                return;
            }
        }
    }

    private static void Check(byte value, string paramName)
    {
        if (value > 2)
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, value, $"Workload label value {value} is not defined for the {paramName} axis.");
        }
    }
}
