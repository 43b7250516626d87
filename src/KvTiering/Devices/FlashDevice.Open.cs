using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice
{
    // The slots are reached in no particular order; telling the kernel so keeps read-ahead from pulling in neighbours.
    private const FileOptions HandleOptions = FileOptions.RandomAccess;

    /// <summary>
    /// Opens the tier's file, creating the directory and the file first when they are missing: with O_DIRECT when
    /// <paramref name="direct"/> is asked and the file system allows it, else buffered (and the reason logged).
    /// </summary>
    private SafeFileHandle Open(bool direct, bool refuse, out bool created)
    {
        EnsureDirectory();
        created = !File.Exists(FilePath);
        if (created)
        {
            CreateFile();
        }

        SafeFileHandle? handle = null;
        try
        {
            if (direct)
            {
                handle = DirectFile.TryOpen(FilePath, refuse, out string? reason);
                DirectIO = handle is not null;
                if (reason is not null)
                {
                    BufferedReason = reason;
                    FlashDeviceLog.BufferedFallback(_logger, FilePath, reason);
                }
            }

            // FileShare.None: two stores on one directory would overwrite each other's slots.
            handle ??= File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, HandleOptions);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Flash file '{FilePath}' cannot be opened for writing: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash file '{FilePath}' cannot be opened (is another store using it?): {ex.Message}", ex);
        }

        try
        {
            // Direct I/O needs an aligned buffer; the pool's first buffer serves, before any other I/O.
            byte* buffer = _pool.Rent();
            try
            {
                var superblock = new Span<byte>(buffer, FlashGeometry.PageBytes);
                int read = ReadFully(handle, superblock, 0);
                _geometry.VerifySuperblock(superblock[..read], FilePath);
            }
            finally
            {
                _pool.Return(buffer);
            }

            // The size is fixed by the geometry: a file cut short heals (its missing headers read as free slots),
            // and one that grew is trimmed back, so the tier never holds more than its capacity.
            if (RandomAccess.GetLength(handle) != _geometry.FileLength)
            {
                RandomAccess.SetLength(handle, _geometry.FileLength);
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return handle;
    }

    private void EnsureDirectory()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            return;
        }

        if (File.Exists(Directory))
        {
            throw new IOException($"Flash directory '{Directory}' is a file, not a directory.");
        }

        string? parent = Path.GetDirectoryName(Directory);
        if (parent is null || !System.IO.Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException(
                $"Flash directory '{Directory}' cannot be created: its parent '{parent}' does not exist or is not a directory.");
        }

        try
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Flash directory '{Directory}' cannot be created: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash directory '{Directory}' cannot be created: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Creates the file at its fixed size (sparse: unwritten slots take no space) under a temporary name, writes and
    /// flushes the superblock, then renames it into place, so a crash never leaves a file without a superblock.
    /// </summary>
    private void CreateFile()
    {
        string temp = FilePath + ".tmp";
        try
        {
            using (SafeFileHandle handle = File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                RandomAccess.SetLength(handle, _geometry.FileLength);
                var superblock = new byte[FlashGeometry.PageBytes];
                _geometry.WriteSuperblock(superblock);
                RandomAccess.Write(handle, superblock, 0);
                RandomAccess.FlushToDisk(handle);
            }

            File.Move(temp, FilePath, overwrite: false);
        }
        catch (UnauthorizedAccessException ex)
        {
            TryDelete(temp);
            throw new UnauthorizedAccessException($"Flash directory '{Directory}' is not writable: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            TryDelete(temp);
            throw new IOException(
                $"Flash file '{FilePath}' ({_geometry.FileLength} bytes) cannot be created: {ex.Message}", ex);
        }
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
