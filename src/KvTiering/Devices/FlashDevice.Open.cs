using System.Runtime.InteropServices;
using KvTiering.Blocks;
using KvTiering.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace KvTiering.Devices;

public sealed unsafe partial class FlashDevice
{
    // The slots are reached in no particular order; telling the kernel so keeps read-ahead from pulling in neighbours.
    private const FileOptions HandleOptions = FileOptions.RandomAccess;

    /// <summary>
    /// Opens the flash tier in <paramref name="directory"/> with direct I/O and a queue depth of 8, creating the
    /// directory (when its parent exists) and the file when they are missing. An existing file that is corrupt or was
    /// created with another geometry is moved aside and the tier starts empty (<see cref="CorruptFileAction.Recreate"/>).
    /// </summary>
    /// <param name="directory">The directory that holds the tier's file.</param>
    /// <param name="slotCount">Number of slots; the file's size is fixed by it.</param>
    /// <param name="slotBytes">Largest payload one slot holds, bytes.</param>
    /// <param name="compression">Compress each block with LZ4, keeping it raw when it does not shrink.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slotCount"/> or <paramref name="slotBytes"/> is below one.</exception>
    /// <exception cref="IOException">The directory or file cannot be created or opened; the message names the path.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable; the message names the path.</exception>
    public FlashDevice(string directory, int slotCount, int slotBytes, bool compression = false)
        : this(directory, slotCount, slotBytes, new FlashDeviceOptions { Compression = compression })
    {
    }

    /// <summary>Opens the flash tier in <paramref name="directory"/> with the given I/O options.</summary>
    /// <param name="directory">The directory that holds the tier's file.</param>
    /// <param name="slotCount">Number of slots; the file's size is fixed by it.</param>
    /// <param name="slotBytes">Largest payload one slot holds, bytes.</param>
    /// <param name="options">Compression, direct I/O, queue depth, logger, what to do with a corrupt file, the open's
    /// verification budget and the authentication key.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size or queue depth is below one, or the budget is negative.</exception>
    /// <exception cref="ArgumentException">The authentication key is shorter than 32 bytes.</exception>
    /// <exception cref="IOException">The directory or file cannot be created or opened; the message names the path.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable; the message names the path.</exception>
    /// <exception cref="InvalidDataException">
    /// The existing file is corrupt or was created with another geometry, and <see cref="FlashDeviceOptions.CorruptFile"/>
    /// is <see cref="CorruptFileAction.Throw"/>.
    /// </exception>
    public FlashDevice(string directory, int slotCount, int slotBytes, FlashDeviceOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        if (slotCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotCount), slotCount, $"Slot count {slotCount} must be at least one.");
        }

        if (slotBytes <= 0 || slotBytes > int.MaxValue - (2 * FlashGeometry.PageBytes))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(slotBytes), slotBytes,
                $"Slot size {slotBytes} must be between one byte and {int.MaxValue - (2 * FlashGeometry.PageBytes)} bytes.");
        }

        if (options.QueueDepth <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), options.QueueDepth,
                $"Queue depth {options.QueueDepth} must be at least one.");
        }

        if (options.RecoveryVerificationBudget < TimeSpan.Zero && options.RecoveryVerificationBudget != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), options.RecoveryVerificationBudget,
                $"Recovery verification budget {options.RecoveryVerificationBudget} must be zero or more, or infinite.");
        }

        if (options.CorruptFile is not (CorruptFileAction.Recreate or CorruptFileAction.Throw))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), options.CorruptFile, $"Unknown corrupt-file action {options.CorruptFile}.");
        }

        _authenticator = options.AuthenticationKey is { } secret ? new BlockAuthenticator(secret, options.MacAlgorithm) : null;
        _corruptFile = options.CorruptFile;
        _verificationBudget = options.RecoveryVerificationBudget;
        _geometry = new FlashGeometry(slotCount, slotBytes);
        _compression = options.Compression;
        _encoder = new FlashBlockEncoder(_compression, _authenticator);
        _logger = options.Logger ?? NullLogger.Instance;
        QueueDepth = options.QueueDepth;
        _lengths = new int[slotCount];
        _states = new byte[slotCount];
        _keys = new BlockKey[slotCount];
        _checksums = new ulong[slotCount];
        _storedLengths = new int[slotCount];
        Directory = Path.GetFullPath(directory);
        FilePath = Path.Combine(Directory, FileName);
        _pool = new AlignedBufferPool(options.QueueDepth, (int)_geometry.Stride);
        _zeroPage = (byte*)NativeMemory.AlignedAlloc(FlashGeometry.PageBytes, FlashGeometry.PageBytes);
        new Span<byte>(_zeroPage, FlashGeometry.PageBytes).Clear();
        try
        {
            _handle = Open(options.DirectIO, options.RefuseDirectIO, out bool created);
            _scanned = created;
            if (created)
            {
                _recovered = [];
            }
        }
        catch
        {
            _pool.Dispose();
            _authenticator?.Dispose();
            NativeMemory.AlignedFree(_zeroPage);
            throw;
        }
    }

    /// <summary>
    /// Opens the tier's file, creating the directory and the file first when they are missing, and checks its
    /// superblock. A file that cannot be used is moved aside and recreated empty, or refused, as
    /// <see cref="FlashDeviceOptions.CorruptFile"/> says.
    /// </summary>
    private SafeFileHandle Open(bool direct, bool refuse, out bool created)
    {
        EnsureDirectory();
        created = !File.Exists(FilePath);
        if (created)
        {
            CreateFile();
        }

        SafeFileHandle handle = OpenHandle(direct, refuse);
        try
        {
            CheckSuperblock(handle);
            return handle;
        }
        catch (InvalidDataException ex) when (_corruptFile == CorruptFileAction.Recreate)
        {
            handle.Dispose();
            string aside = MoveAside();
            FlashDeviceLog.FileRecreated(_logger, FilePath, ex.Message, aside);
            _corruptFilesRecreated = 1;
            CreateFile();
            created = true;
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        handle = OpenHandle(direct, refuse);
        try
        {
            CheckSuperblock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return handle;
    }

    /// <summary>
    /// Opens the file with O_DIRECT when <paramref name="direct"/> is asked and the file system allows it, else
    /// buffered (and the reason logged).
    /// </summary>
    private SafeFileHandle OpenHandle(bool direct, bool refuse)
    {
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
            return handle ?? File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, HandleOptions);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Flash file '{FilePath}' cannot be opened for writing: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"Flash file '{FilePath}' cannot be opened (is another store using it?): {ex.Message}", ex);
        }
    }

    /// <summary>Verifies the superblock against this geometry, then fixes the file's length to the geometry's.</summary>
    /// <exception cref="InvalidDataException">The superblock is corrupt, cut short, or of another format or geometry.</exception>
    private void CheckSuperblock(SafeFileHandle handle)
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
}
