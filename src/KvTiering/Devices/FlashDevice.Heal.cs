namespace KvTiering.Devices;

public sealed partial class FlashDevice
{
    /// <summary>
    /// Renames the unusable file to <c>blocks.kvt.corrupt-&lt;utc&gt;</c>, for whoever wants to look at it, after deleting
    /// any earlier such copy: at most one is kept, so a file that keeps going bad cannot fill the disk.
    /// </summary>
    private string MoveAside()
    {
        string prefix = FileName + ".corrupt-";
        foreach (string old in System.IO.Directory.EnumerateFiles(Directory, prefix + "*"))
        {
            TryDelete(old);
        }

        string aside = FilePath + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            File.Move(FilePath, aside, overwrite: true);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash file '{FilePath}' is unusable and cannot be moved aside to '{aside}': {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException(
                $"Flash file '{FilePath}' is unusable and cannot be moved aside to '{aside}': {ex.Message}", ex);
        }

        return aside;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
