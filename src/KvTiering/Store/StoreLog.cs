using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>The store's logger and the name its log lines carry, handed to each collaborator that logs.</summary>
internal sealed record StoreLog(ILogger Logger, string Name);
