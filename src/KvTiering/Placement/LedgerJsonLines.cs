using System.Globalization;
using System.Text;
using System.Text.Json;
using KvTiering.Blocks;

namespace KvTiering.Placement;

/// <summary>
/// The placement ledger's file format: JSON lines, a header object (kind, version, capacity, entries recorded and
/// dropped, tier names), then one object per entry, oldest first. Documented in docs/placement.md; written by
/// <see cref="PlacementLedger.WriteJsonLines"/> and read back by <see cref="PlacementLedger.ReadJsonLines"/>.
/// </summary>
internal static class LedgerJsonLines
{
    private const string HeaderKind = "kvtiering-ledger";

    /// <summary>Writes the header and then each entry, one JSON object per line.</summary>
    public static void Write(Stream stream, IReadOnlyList<LedgerEntry> entries, int capacity, long recorded, long dropped, string[] names)
    {
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("kind", HeaderKind);
        json.WriteNumber("version", 1);
        json.WriteNumber("capacity", capacity);
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
    /// Reads the entries of a ledger file (the header line is optional; blank lines are skipped), with the header's
    /// dropped count and the tier names from the header or the entries.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a ledger object; the message names the line.</exception>
    public static List<LedgerEntry> Read(Stream stream, out long dropped, out string[] tierNames)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var entries = new List<LedgerEntry>();
        var names = new List<string>();
        dropped = 0;
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

        tierNames = [.. names];
        return entries;
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
