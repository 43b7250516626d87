using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

/// <summary>
/// Brings a flash tier's file into use: creates the directory and the file when they are missing, opens it with
/// <c>O_DIRECT</c> where the file system allows it (else buffered, the reason logged), checks its superblock against
/// the geometry, fixes its length, and moves a file that cannot be used aside (or refuses it), as
/// <see cref="FlashDeviceOptions.CorruptFile"/> says.
/// </summary>
internal static unsafe class FlashFileOpener
{
    // The slots are reached in no particular order; telling the kernel so keeps read-ahead from pulling in neighbours.
    private const FileOptions HandleOptions = FileOptions.RandomAccess;

    /// <summary>
    /// Opens (creating or recreating when needed) the file <paramref name="path"/> in <paramref name="directory"/>;
    /// <paramref name="pool"/> lends the aligned buffer the superblock is read into (direct I/O needs one).
    /// </summary>
    public static FlashFile Open(string directory, string path, FlashGeometry geometry, FlashDeviceOptions options,
        ILogger logger, AlignedBufferPool pool)
    {
        EnsureDirectory(directory);
        bool created = !File.Exists(path);
        if (created)
        {
            CreateFile(directory, path, geometry);
        }

        bool recreated = false;
        SafeFileHandle handle = OpenHandle(path, options, logger, out bool direct, out string? reason);
        try
        {
            long found = CheckSuperblock(handle, path, geometry, pool);
            ReportResize(logger, path, geometry, found);
            return new FlashFile(path, handle, geometry, direct, reason, created, recreated, cutShort: found < geometry.FileLength);
        }
        catch (InvalidDataException ex) when (options.CorruptFile == CorruptFileAction.Recreate)
        {
            handle.Dispose();
            string aside = MoveAside(directory, path);
            FlashDeviceLog.FileRecreated(logger, path, ex.Message, aside);
            recreated = true;
            CreateFile(directory, path, geometry);
            created = true;
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        handle = OpenHandle(path, options, logger, out direct, out reason);
        try
        {
            CheckSuperblock(handle, path, geometry, pool);
            return new FlashFile(path, handle, geometry, direct, reason, created, recreated, cutShort: false);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the file with O_DIRECT when the options ask for it and the file system allows it, else buffered (and the
    /// reason logged).
    /// </summary>
    private static SafeFileHandle OpenHandle(string path, FlashDeviceOptions options, ILogger logger, out bool direct, out string? reason)
    {
        direct = false;
        reason = null;
        SafeFileHandle? handle = null;
        try
        {
            if (options.DirectIO)
            {
                handle = DirectFile.TryOpen(path, options.RefuseDirectIO, out reason);
                direct = handle is not null;
                if (reason is not null)
                {
                    FlashDeviceLog.BufferedFallback(logger, path, reason);
                }
            }

            // FileShare.None: two stores on one directory would overwrite each other's slots.
            return handle ?? File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, HandleOptions);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Flash file '{path}' cannot be opened for writing: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash file '{path}' cannot be opened (is another store using it?): {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Verifies the superblock against this geometry, then fixes the file's length to the geometry's; returns the
    /// length the file had.
    /// </summary>
    /// <exception cref="InvalidDataException">The superblock is corrupt, cut short, or of another format or geometry.</exception>
    private static long CheckSuperblock(SafeFileHandle handle, string path, FlashGeometry geometry, AlignedBufferPool pool)
    {
        // Direct I/O needs an aligned buffer; the pool's first buffer serves, before any other I/O.
        byte* buffer = pool.Rent();
        try
        {
            var superblock = new Span<byte>(buffer, FlashGeometry.PageBytes);
            int read = FlashFile.ReadFully(handle, superblock, 0);
            geometry.VerifySuperblock(superblock[..read], path);
        }
        finally
        {
            pool.Return(buffer);
        }

        // The size is fixed by the geometry: a file cut short heals (its missing headers read as free slots),
        // and one that grew is trimmed back, so the tier never holds more than its capacity.
        long length = RandomAccess.GetLength(handle);
        if (length != geometry.FileLength)
        {
            RandomAccess.SetLength(handle, geometry.FileLength);
        }

        return length;
    }

    /// <summary>
    /// Warns when the file was not the geometry's length: the heal is silent otherwise, and a file cut short (a copy
    /// or restore that stopped, a full disk while it was copied) loses every block from the cut on without a word.
    /// </summary>
    private static void ReportResize(ILogger logger, string path, FlashGeometry geometry, long found)
    {
        if (found < geometry.FileLength)
        {
            long firstLost = (found - FlashGeometry.FirstSlotOffset) / geometry.Stride;
            FlashDeviceLog.FileResized(logger, path, found, geometry.FileLength,
                $"cut short, so the blocks in slot {firstLost} and after (of {geometry.SlotCount}) are lost; extended back, those slots read as empty");
        }
        else if (found > geometry.FileLength)
        {
            FlashDeviceLog.FileResized(logger, path, found, geometry.FileLength, "grown; trimmed back, no block was lost");
        }
    }

    private static void EnsureDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (File.Exists(directory))
        {
            throw new IOException($"Flash directory '{directory}' is a file, not a directory.");
        }

        string? parent = Path.GetDirectoryName(directory);
        if (parent is null || !Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException(
                $"Flash directory '{directory}' cannot be created: its parent '{parent}' does not exist or is not a directory.");
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Flash directory '{directory}' cannot be created: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash directory '{directory}' cannot be created: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Creates the file at its fixed size (sparse: unwritten slots take no space) under a temporary name, writes and
    /// flushes the superblock, then renames it into place, so a crash never leaves a file without a superblock.
    /// </summary>
    private static void CreateFile(string directory, string path, FlashGeometry geometry)
    {
        string temp = path + ".tmp";
        try
        {
            using (SafeFileHandle handle = File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                RandomAccess.SetLength(handle, geometry.FileLength);
                var superblock = new byte[FlashGeometry.PageBytes];
                geometry.WriteSuperblock(superblock);
                RandomAccess.Write(handle, superblock, 0);
                RandomAccess.FlushToDisk(handle);
            }

            File.Move(temp, path, overwrite: false);
        }
        catch (UnauthorizedAccessException ex)
        {
            TryDelete(temp);
            throw new UnauthorizedAccessException($"Flash directory '{directory}' is not writable: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            TryDelete(temp);
            throw new IOException($"Flash file '{path}' ({geometry.FileLength} bytes) cannot be created: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Renames the unusable file to <c>blocks.kvt.corrupt-&lt;utc&gt;</c>, for whoever wants to look at it, after deleting
    /// any earlier such copy: at most one is kept, so a file that keeps going bad cannot fill the disk.
    /// </summary>
    private static string MoveAside(string directory, string path)
    {
        string prefix = Path.GetFileName(path) + ".corrupt-";
        foreach (string old in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            TryDelete(old);
        }

        string aside = path + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            File.Move(path, aside, overwrite: true);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash file '{path}' is unusable and cannot be moved aside to '{aside}': {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException(
                $"Flash file '{path}' is unusable and cannot be moved aside to '{aside}': {ex.Message}", ex);
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
