using KvTiering.Blocks;
using KvTiering.Devices;
using KvTiering.Tests.Tiers;

namespace KvTiering.Tests.Devices;

/// <summary>
/// A failed flash write (a full disk) names the file it could not write: the OS's message alone ("No space left on
/// device") is what the store's <c>WriteFailed</c> warning logged, and an operator could not tell which file.
/// </summary>
public sealed class FlashWriteErrorTests : IDisposable
{
    private const int Slots = 4;
    private const int SlotBytes = 5000;

    private readonly TempDirectory _temp = new();

    private string Dir => _temp.Sub("flash");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_failed_write_names_the_file_the_offset_and_the_systems_reason()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()) { FailWrite = (_, _) => true };
        var ex = Assert.Throws<IOException>(() => device.Write(2, new BlockKey(1, 2), BlockKey.Empty, new byte[100]));
        string file = Path.Combine(Dir, FlashDevice.FileName);
        long offset = new FlashGeometry(Slots, SlotBytes).SlotOffset(2);
        Assert.Equal($"Writing 4096 bytes at offset {offset} of flash file '{file}' failed: No space left on device (injected)", ex.Message);
        Assert.IsType<IOException>(ex.InnerException);
    }

    [Fact]
    public async Task An_awaited_write_names_them_too()
    {
        using var device = new FlashDevice(Dir, Slots, SlotBytes, PatientFlash.Options()) { FailWrite = (_, _) => true };
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
            await device.WriteAsync(1, new BlockKey(1, 2), BlockKey.Empty, new byte[100], CancellationToken.None));
        Assert.StartsWith("Writing 4096 bytes at offset ", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"of flash file '{Path.Combine(Dir, FlashDevice.FileName)}' failed: No space left on device", ex.Message, StringComparison.Ordinal);
    }
}
