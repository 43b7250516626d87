using KvTiering.Blocks;
using KvTiering.Eviction;
using KvTiering.Simulation.Policies;
using KvTiering.Simulation.Replay;
using KvTiering.Tiers;

namespace KvTiering.Cli;

/// <summary>
/// The names a run is made of: <c>--policy</c> (built-ins, registered and loaded policies, agent ablations, settings
/// after a colon), <c>--model</c> and <c>--tiers</c>, each checked with a "did you mean" for a misspelt name.
/// </summary>
internal static class PolicyArguments
{
    public static IReadOnlyList<EvictionPolicy> ParsePolicies(string? text)
    {
        if (text is null)
        {
            return [.. EvictionPolicies.Names.Select(EvictionPolicies.FromName)];
        }

        var list = new List<EvictionPolicy>();
        foreach (string name in JoinSettings(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            try
            {
                list.Add(AgentPolicyVariants.FromName(name)); // built-in names and agent ablations
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ExceptionMessages.Clean(ex) + SuggestFor(name));
            }
        }

        return list.Count > 0 ? list : throw new CliException("--policy lists no policy");
    }

    /// <summary>For "agent:lindi=1" the closest agent setting ("lindy"); for any other name the closest policy name.</summary>
    private static string SuggestFor(string name)
    {
        if (!name.StartsWith("agent:", StringComparison.OrdinalIgnoreCase))
        {
            return Suggest.DidYouMean(name, EvictionPolicies.AllNames);
        }

        foreach (string part in name["agent:".Length..].Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string key = part.Split('=')[0];
            if (!AgentPolicyVariants.SettingNames.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                return Suggest.DidYouMean(key, AgentPolicyVariants.SettingNames);
            }
        }

        return "";
    }

    /// <summary>
    /// "s3fifo:small=0.1", "threshold=2", "lru" → "s3fifo:small=0.1+threshold=2", "lru": a key=value part after a
    /// policy with settings belongs to that policy, so settings may be written with commas inside the policy list.
    /// </summary>
    public static List<string> JoinSettings(IEnumerable<string> parts)
    {
        var names = new List<string>();
        foreach (string part in parts)
        {
            if (names.Count > 0 && part.Contains('=', StringComparison.Ordinal) && !part.Contains(':', StringComparison.Ordinal)
                && names[^1].Contains(':', StringComparison.Ordinal))
            {
                names[^1] += "+" + part;
            }
            else
            {
                names.Add(part);
            }
        }

        return names;
    }

    public static ModelPreset ParseModel(string name)
    {
        try
        {
            return ModelPresets.FromName(name);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExceptionMessages.Clean(ex) + Suggest.DidYouMean(name, ModelPresets.All.Select(p => p.Name)));
        }
    }

    public static List<TierSpec> ParseTiers(string text, int uniqueBlocks)
    {
        var tiers = new List<TierSpec>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == part.Length - 1)
            {
                throw new CliException($"tier '{part}' is not NAME:CAPACITY (e.g. hbm3:2%)");
            }

            TierProfile profile;
            try
            {
                profile = TierProfiles.FromName(part[..colon]);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ExceptionMessages.Clean(ex) + Suggest.DidYouMean(part[..colon], TierProfiles.All.Select(t => t.Name)));
            }

            int blocks;
            try
            {
                blocks = CapacitySpec.ParseList(part[(colon + 1)..])[0].Resolve(uniqueBlocks);
            }
            catch (CliException ex)
            {
                // Which of several tiers is wrong is what the user needs first.
                throw new CliException($"tier '{part}': {ex.Message}");
            }

            tiers.Add(new TierSpec(profile, blocks));
        }

        return tiers.Count is > 0 and <= Store.TieredKvStore.MaxTiers
            ? tiers
            : throw new CliException($"--tiers needs 1 to {Store.TieredKvStore.MaxTiers} tiers");
    }
}
