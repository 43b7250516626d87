namespace KvTiering.Extensions;

/// <summary>
/// A store registered in the container: the default one (empty name) or a keyed one. Lets the configuration check
/// tell a keyed store's section (<c>KvTiering:tenant-a</c>) from a misspelt one.
/// </summary>
internal sealed record KvTieringRegistration(string Name);
