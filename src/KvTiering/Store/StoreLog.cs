using KvTiering.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>
/// The store's logger and the name its log lines carry, handed to each collaborator that logs, with the log of failed
/// block writes and the one of failed promotions, each of which holds back a run of them (<see cref="WriteFailureLog"/>,
/// <see cref="PromotionFailureLog"/>).
/// </summary>
internal sealed record StoreLog(ILogger Logger, string Name, WriteFailureLog WriteFailures, PromotionFailureLog PromotionFailures);
