using KvTiering.Devices;

namespace KvTiering.Store;

/// <summary>
/// The write-behind worker's writes in flight together (<see cref="WriteBehindWorker"/>): for each tier whose device
/// declares <see cref="IConcurrentWrites"/> with a window wider than one, up to that many queued demotions are on the
/// device at once (a remote tier's <c>SET</c>s pipelined on one connection instead of one round trip each), and they
/// land in the order they began. Each job keeps its job slot, and so its staged bytes and its held source slot, until
/// the worker has booked it, exactly as a job written one at a time does. Each write also holds a place in its device's
/// <see cref="DeviceWriteWindow"/> (shared with prefetches' demotions and shares) from before it is sent until it ends.
/// </summary>
internal sealed class WriteBehindWindow
{
    private readonly IConcurrentWrites?[] _devices; // per tier: its device when it takes writes in flight together
    private readonly DeviceWriteWindow?[] _places;  // per tier: the device's places, shared store-wide
    private readonly int[] _windows;
    private readonly int[] _inFlight;
    private readonly Write[] _ring; // one per job slot: a write in flight holds its job slot
    private int _head;

    private WriteBehindWindow(IConcurrentWrites?[] devices, DeviceWriteWindow?[] places, int[] windows, int depth)
    {
        _devices = devices;
        _places = places;
        _windows = windows;
        _inFlight = new int[devices.Length];
        _ring = new Write[depth];
    }

    /// <summary>
    /// The window for <paramref name="tiers"/>' write-behind tiers, or null when none of their devices declares
    /// <see cref="IConcurrentWrites"/> wider than one (the worker then writes one block at a time, as before).
    /// </summary>
    public static WriteBehindWindow? Create(Tier[] tiers, int depth)
    {
        var devices = new IConcurrentWrites?[tiers.Length];
        var places = new DeviceWriteWindow?[tiers.Length];
        var windows = new int[tiers.Length];
        bool any = false;
        for (int t = 0; t < tiers.Length; t++)
        {
            windows[t] = 1;
            if (tiers[t].WriteBehind && tiers[t].Device is IConcurrentWrites { WriteWindow: > 1 } writes)
            {
                devices[t] = writes;
                places[t] = tiers[t].WriteWindow; // set for every IConcurrentWrites device
                windows[t] = Math.Min(writes.WriteWindow, depth); // no more in flight than the queue has job slots
                any = true;
            }
        }

        return any ? new WriteBehindWindow(devices, places, windows, depth) : null;
    }

    /// <summary>Writes begun and not yet landed.</summary>
    public int Count { get; private set; }

    /// <summary>The device of <paramref name="tier"/> when its writes go in flight together; false: write it one at a time.</summary>
    public bool TryGetDevice(int tier, out IConcurrentWrites device)
    {
        device = _devices[tier]!;
        return device is not null;
    }

    /// <summary>Whether <paramref name="tier"/> has its window of writes in flight (the next one waits for the oldest to land).</summary>
    public bool IsFull(int tier) => _inFlight[tier] >= _windows[tier];

    /// <summary>Takes a place in <paramref name="tier"/>'s device window if one is free and nobody waits for one.</summary>
    public bool TryTakePlace(int tier) => _places[tier]!.TryEnter(1) == 1;

    /// <summary>
    /// Blocks the worker's thread until <paramref name="tier"/>'s device window hands it a place (after the writers
    /// already waiting). The worker is a dedicated thread whose loop already blocks on its writes and on arrivals, at its
    /// own priority (<see cref="KvStoreOptions.WriteBehindNice"/>); awaiting would move it onto the thread pool for no
    /// gain. It holds no lock and has booked what it held (the caller does so first), so nothing waits on it meanwhile
    /// but puts waiting for queue room, which they get when the places come back: every place comes back when a write
    /// ends, without the store's lock.
    /// </summary>
    public void TakePlace(int tier) => _places[tier]!.Enter();

    /// <summary>Whether the oldest write in flight has ended (landed or failed).</summary>
    public bool OldestEnded => Count > 0 && _ring[_head].Task.IsCompleted;

    /// <summary>The oldest write in flight, to wait on; call only when <see cref="Count"/> is not 0.</summary>
    public Task Oldest => _ring[_head].Task;

    /// <summary>
    /// Begins <paramref name="job"/>'s write of <paramref name="bytes"/> on <paramref name="device"/>, with the place the
    /// worker took for it (<see cref="TryTakePlace"/> or <see cref="TakePlace"/>), which the write gives back as it ends.
    /// </summary>
    public void Start(in WriteBehindJob job, IConcurrentWrites device, ReadOnlyMemory<byte> bytes)
    {
        _ring[(_head + Count) % _ring.Length] = new Write(job, WriteAsync(device, _places[job.Tier]!, job, bytes));
        _inFlight[job.Tier]++;
        Count++;
    }

    /// <summary>Waits for the oldest write in flight to end and returns its outcome, for the worker to book.</summary>
    public WriteBehindOutcome LandOldest()
    {
        Write write = _ring[_head];
        _ring[_head] = default;
        _head = (_head + 1) % _ring.Length;
        Count--;
        _inFlight[write.Job.Tier]--;
        return new WriteBehindOutcome(write.Job, write.Task.GetAwaiter().GetResult());
    }

    /// <summary>
    /// One write; what it failed with, or null. Anything it throws fails only its own block: an exception other than an
    /// <see cref="IOException"/> (a device bug) is booked as a failed write too, since no caller waits to be told.
    /// </summary>
    private static async Task<IOException?> WriteAsync(IConcurrentWrites device, DeviceWriteWindow place, WriteBehindJob job,
        ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await device.WriteAsync(job.Slot, job.Key, job.Parent, bytes, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (IOException ex)
        {
            return ex;
        }
        catch (Exception ex)
        {
            return new IOException($"The write of block {job.Key} threw {ex.GetType().Name}: {ex.Message}", ex);
        }
        finally
        {
            place.Exit(); // when the device's write ends, not when the worker books it
        }
    }

    private readonly record struct Write(WriteBehindJob Job, Task<IOException?> Task);
}
