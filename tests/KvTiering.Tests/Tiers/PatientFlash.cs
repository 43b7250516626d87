using KvTiering.Devices;

namespace KvTiering.Tests.Tiers;

/// <summary>
/// Flash settings for a test that checks what an open (or a <see cref="FlashDevice.Recover"/> after writes) finds:
/// every payload is verified however long a loaded machine takes. Under the default 5 s budget a test thread stalled
/// past it left blocks deferred, which such a test took for lost. Tests of the budget itself set their own.
/// </summary>
internal static class PatientFlash
{
    /// <summary>Verify every block before the open returns.</summary>
    public static TimeSpan Budget => Timeout.InfiniteTimeSpan;

    /// <summary>Default device options but <see cref="Budget"/>.</summary>
    public static FlashDeviceOptions Options(bool compression = false) =>
        new() { Compression = compression, RecoveryVerificationBudget = Budget };
}
