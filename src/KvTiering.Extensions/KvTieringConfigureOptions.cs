using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvTiering.Extensions;

/// <summary>
/// Binds <see cref="KvTieringOptions"/> from the host's configuration — section <c>KvTiering</c> for the default
/// store, <c>KvTiering:{key}</c> for a keyed one — when an <see cref="IConfiguration"/> is registered; in a bare
/// service collection it does nothing, and the defaults and the code's delegate apply.
/// </summary>
internal sealed class KvTieringConfigureOptions(IServiceProvider services) : IConfigureNamedOptions<KvTieringOptions>
{
    public void Configure(KvTieringOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, KvTieringOptions options)
    {
        if (services.GetService<IConfiguration>() is { } configuration)
        {
            configuration.GetSection(KvTieringStoreFactory.SectionOf(name)).Bind(options);
        }
    }
}
