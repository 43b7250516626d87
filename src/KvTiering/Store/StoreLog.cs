using KvTiering.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvTiering.Store;

/// <summary>
/// The store's logger and the name its log lines carry, handed to each collaborator that logs, with the log of failed
/// block writes, the one of failed promotions and the one of blocks dropped because they could not be read back, each of
/// which holds back a run of them (<see cref="WriteFailureLog"/>, <see cref="PromotionFailureLog"/>,
/// <see cref="ReadFailureLog"/>).
/// </summary>
internal sealed record StoreLog(ILogger Logger, string Name, WriteFailureLog WriteFailures, PromotionFailureLog PromotionFailures,
    ReadFailureLog ReadFailures);
