using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions;

/// <summary>
/// Fails validation for a configuration key under a store's section that binds to nothing. The binder ignores such a
/// key, so a misspelt setting (<c>KvTiering:MemoryByte</c>) would leave the store on the default the user meant to
/// change; this names the key, the setting it is closest to, and the settings there are.
/// </summary>
/// <remarks>
/// The default store's section <c>KvTiering</c> holds other sections too: keyed stores' (<c>KvTiering:tenant-a</c>)
/// and components' (the agent server's <c>KvTiering:KvEvents</c>). A child section there is reported only when it holds
/// store settings and no keyed store is registered under its name: a misspelt store name, whose settings would
/// otherwise be ignored as well. A keyed store's own section holds nothing but settings.
/// </remarks>
internal sealed class KvTieringUnknownSettingsValidator(IServiceProvider services, IEnumerable<KvTieringRegistration> registrations)
    : IValidateOptions<KvTieringOptions>
{
    /// <summary>The settings <see cref="KvTieringOptions"/> binds, in declaration order.</summary>
    internal static readonly string[] SettingNames = [.. typeof(KvTieringOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(static p => p.CanWrite).Select(static p => p.Name)];

    public ValidateOptionsResult Validate(string? name, KvTieringOptions options)
    {
        if (services.GetService<IConfiguration>() is not { } configuration)
        {
            return ValidateOptionsResult.Skip; // nothing was bound, so nothing was ignored
        }

        string section = KvTieringStoreFactory.SectionOf(name);
        bool isDefault = string.IsNullOrEmpty(name);
        string[] keyed = [.. registrations.Select(static r => r.Name).Where(static n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
        var failures = new List<string>();
        foreach (IConfigurationSection child in configuration.GetSection(section).GetChildren())
        {
            if (IsSetting(child.Key))
            {
                continue;
            }

            if (isDefault && child.GetChildren().Any())
            {
                if (keyed.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    continue; // validated as its own named options
                }

                string[] held = [.. child.GetChildren().Select(static c => c.Key).Where(IsSetting)];
                if (held.Length > 0)
                {
                    failures.Add($"{child.Path} holds store settings ({string.Join(", ", held)}) but no store is registered under " +
                        $"'{child.Key}'{Suggest.DidYouMean(child.Key, keyed)}; AddKeyedKvTiering(\"{child.Key}\") registers one that binds it.");
                }

                continue; // another component's section
            }

            failures.Add($"{child.Path} is not a setting{Suggest.DidYouMean(child.Key, SettingNames)}; " +
                $"the {section} settings are {string.Join(", ", SettingNames)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsSetting(string key) => SettingNames.Contains(key, StringComparer.OrdinalIgnoreCase);
}
