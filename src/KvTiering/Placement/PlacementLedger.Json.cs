using System.Globalization;
using System.Text;
using System.Text.Json;
using KvTiering.Blocks;

namespace KvTiering.Placement;

public sealed partial class PlacementLedger
{
    private const string HeaderKind = "kvtiering-ledger";

    /// <summary>
    /// Writes the ring as JSON lines: a header object (capacity, entries recorded and dropped, tier names), then one
    /// object per entry, oldest first. The format is in docs/placement.md.
    /// </summary>
    public void WriteJsonLines(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        IReadOnlyList<LedgerEntry> entries;
        long recorded;
        long dropped;
        lock (_sync)
        {
            entries = Snapshot();
            recorded = _droppedBefore + _total;
            dropped = _droppedBefore + Math.Max(0, _total - _ring.Length);
        }

        string[] names = _tierNames;
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("kind", HeaderKind);
        json.WriteNumber("version", 1);
        json.WriteNumber("capacity", Capacity);
        json.WriteNumber("recorded", recorded);
        json.WriteNumber("dropped", dropped);
        json.WriteStartArray("tiers");
        foreach (string name in names)
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        EndLine(json, stream);
        foreach (LedgerEntry e in entries)
        {
            json.WriteStartObject();
            json.WriteNumber("seq", e.Sequence);
            json.WriteNumber("time", e.TimeSeconds);
            json.WriteString("action", LedgerText.ActionName(e.Action));
            json.WriteString("reason", LedgerText.ReasonName(e.Reason));
            json.WriteString("block", e.Key.ToString());
            json.WriteNumber("session", e.Session);
            json.WriteNumber("depth", e.Depth);
            json.WriteNumber("from", e.FromTier);
            json.WriteNumber("to", e.ToTier);
            if ((uint)e.FromTier < (uint)names.Length)
            {
                json.WriteString("from_tier", names[e.FromTier]);
            }

            if ((uint)e.ToTier < (uint)names.Length)
            {
                json.WriteString("to_tier", names[e.ToTier]);
            }

            json.WriteString("labels", e.Labels.ToString());
            json.WriteEndObject();
            EndLine(json, stream);
        }
    }

    /// <summary>
    /// Reads a ledger written by <see cref="WriteJsonLines"/> (the header line is optional; blank lines are skipped).
    /// The result holds every entry read, and the header's dropped count.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a ledger object; the message names the line.</exception>
    public static PlacementLedger ReadJsonLines(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var entries = new List<LedgerEntry>();
        var names = new List<string>();
        long dropped = 0;
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                JsonElement root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException("not a JSON object");
                }

                if (root.TryGetProperty("kind", out JsonElement kind) && kind.ValueKind == JsonValueKind.String)
                {
                    if (kind.GetString() != HeaderKind)
                    {
                        throw new InvalidDataException($"unknown kind '{kind.GetString()}'");
                    }

                    dropped = root.TryGetProperty("dropped", out JsonElement d) ? d.GetInt64() : 0;
                    if (root.TryGetProperty("tiers", out JsonElement tiers))
                    {
                        names.Clear();
                        names.AddRange(tiers.EnumerateArray().Select(t => t.GetString() ?? ""));
                    }

                    continue;
                }

                LedgerEntry entry = ParseEntry(root);
                NoteName(names, entry.FromTier, root, "from_tier");
                NoteName(names, entry.ToTier, root, "to_tier");
                entries.Add(entry);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException
                or InvalidDataException or ArgumentException)
            {
                throw new InvalidDataException(
                    string.Create(CultureInfo.InvariantCulture, $"Ledger line {lineNumber} is not a placement-ledger entry: {ex.Message}"), ex);
            }
        }

        var ledger = new PlacementLedger(Math.Max(1, entries.Count)) { _droppedBefore = dropped, _tierNames = [.. names] };
        foreach (LedgerEntry e in entries)
        {
            ledger._ring[ledger._total++] = e;
        }

        return ledger;
    }

    private static LedgerEntry ParseEntry(JsonElement root)
    {
        string action = root.GetProperty("action").GetString() ?? "";
        string reason = root.TryGetProperty("reason", out JsonElement r) ? r.GetString() ?? "" : "none";
        if (!LedgerText.TryParseAction(action, out PlacementAction a))
        {
            throw new InvalidDataException($"unknown action '{action}'");
        }

        if (!LedgerText.TryParseReason(reason, out PlacementReason why))
        {
            throw new InvalidDataException($"unknown reason '{reason}'");
        }

        return new LedgerEntry(
            root.TryGetProperty("seq", out JsonElement seq) ? seq.GetInt64() : 0,
            root.TryGetProperty("time", out JsonElement time) ? time.GetDouble() : 0,
            a,
            why,
            BlockKey.Parse(root.GetProperty("block").GetString() ?? ""),
            root.TryGetProperty("session", out JsonElement s) ? s.GetInt64() : 0,
            root.TryGetProperty("depth", out JsonElement d) ? d.GetInt32() : -1,
            root.TryGetProperty("from", out JsonElement f) ? f.GetInt32() : -1,
            root.TryGetProperty("to", out JsonElement t) ? t.GetInt32() : -1,
            root.TryGetProperty("labels", out JsonElement l) ? WorkloadLabels.Parse(l.GetString() ?? "") : default);
    }

    private static void NoteName(List<string> names, int tier, JsonElement root, string property)
    {
        if (tier < 0 || tier >= TieredKvStoreMaxTiers || !root.TryGetProperty(property, out JsonElement name))
        {
            return;
        }

        while (names.Count <= tier)
        {
            names.Add(names.Count.ToString(CultureInfo.InvariantCulture));
        }

        names[tier] = name.GetString() ?? names[tier];
    }

    private const int TieredKvStoreMaxTiers = Store.TieredKvStore.MaxTiers;

    private static void EndLine(Utf8JsonWriter json, Stream stream)
    {
        json.Flush();
        stream.WriteByte((byte)'\n');
        json.Reset(stream);
    }
}
