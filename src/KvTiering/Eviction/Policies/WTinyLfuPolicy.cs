namespace KvTiering.Eviction;

/// <summary>
/// W-TinyLFU, the policy of Caffeine: new blocks enter a small LRU window (1% of the tier); the rest of the tier is
/// a segmented LRU, probation (20%) and protected (80%). When the window overflows, its oldest block must win a
/// frequency duel against probation's oldest to stay: whichever a count-min sketch has seen less often lately is
/// the victim. A cold newcomer therefore cannot push out a block that is used again and again.
/// </summary>
/// <remarks>
/// <para>
/// Einziger, Eytan, Friedman and Manes, "Adaptive Software Cache Management" (Middleware 2018) and "TinyLFU: A
/// Highly Efficient Cache Admission Policy" (ACM TOS 2017); Caffeine's BoundedLocalCache. The tier is one slot space,
/// so the duel happens when a victim is asked for: window blocks beyond the window's size first move to probation
/// while the main space has room; then, with the window at its size, the window's oldest evictable block (the
/// candidate) is compared with the main space's oldest evictable block (probation's, else protected's). The
/// candidate moves to probation only when its estimate is strictly higher, and the loser is the victim.
/// </para>
/// <para>
/// The sketch (<see cref="FrequencySketch"/>, 4-bit counters halved every 10 × capacity increments, no doorkeeper)
/// counts every arrival and every access. A hit in probation moves the block to protected; protected's overflow goes
/// back to probation's head. Caffeine's hill-climbing of the window size and its random admission of warm candidates
/// (a defence against hash flooding) are left out, so the policy is deterministic. The window's share is a parameter
/// (default 1%, as Caffeine starts and as libCacheSim's WTinyLFU.c fixes it: <c>window-size=0.01</c>).
/// </para>
/// <para>
/// libCacheSim's WTinyLFU.c differs in its sketch, in what it counts, in how blocks enter the segments and in evicting
/// several blocks at once; <see cref="WTinyLfuLibCacheSimPolicy"/> (<c>wtinylfu:libcachesim=1</c>) replays it for
/// comparisons, and docs/harness.md lists the differences.
/// </para>
/// </remarks>
public struct WTinyLfuPolicy : IEvictionPolicy
{
    /// <summary>The window's default share of the tier.</summary>
    public const double DefaultWindowShare = 0.01;

    private const byte InWindow = 1;
    private const byte InProbation = 2;
    private const byte InProtected = 3;

    private TierView _tier;
    private HandleList _window;      // head = most recent
    private HandleList _probation;   // head = most recent
    private HandleList _protected;   // head = most recent
    private FrequencySketch _sketch;
    private byte[] _segment;
    private int _windowMax;
    private int _mainMax;
    private int _protectedMax;
    private readonly double _windowShare; // 0 = default

    /// <summary>A W-TinyLFU whose LRU window holds <paramref name="windowShare"/> of the tier.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="windowShare"/> is not in (0, 1).</exception>
    public WTinyLfuPolicy(double windowShare)
    {
        if (!(windowShare > 0 && windowShare < 1))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(windowShare), windowShare, $"W-TinyLFU's window share {windowShare} must lie between 0 and 1.");
        }

        _windowShare = windowShare;
        _tier = null!; // set by Attach, as for a default instance
        _segment = [];
        _sketch = null!;
    }

    /// <inheritdoc />
    public void Attach(TierView tier)
    {
        ArgumentNullException.ThrowIfNull(tier);
        _tier = tier;
        int capacity = tier.Capacity;
        _window = new HandleList(capacity);
        _probation = new HandleList(capacity);
        _protected = new HandleList(capacity);
        _sketch = new FrequencySketch(capacity);
        _segment = new byte[capacity];
        _windowMax = Math.Max(1, (int)(capacity * (_windowShare == 0 ? DefaultWindowShare : _windowShare)));
        _mainMax = Math.Max(0, capacity - _windowMax);
        _protectedMax = (int)(_mainMax * 80L / 100);
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        _sketch.Increment(_tier.Key(handle));
        _segment[handle] = InWindow;
        _window.PushFront(handle);
    }

    /// <inheritdoc />
    public readonly void OnAccess(int handle)
    {
        _sketch.Increment(_tier.Key(handle));
        switch (_segment[handle])
        {
            case InWindow:
                _window.MoveToFront(handle);
                break;
            case InProbation:
                _probation.Remove(handle);
                _segment[handle] = InProtected;
                _protected.PushFront(handle);
                if (_protected.Count > _protectedMax)
                {
                    int demoted = _protected.PopBack();
                    _segment[demoted] = InProbation;
                    _probation.PushFront(demoted);
                }

                break;
            default:
                _protected.MoveToFront(handle);
                break;
        }
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        switch (_segment[handle])
        {
            case InWindow:
                _window.Remove(handle);
                break;
            case InProbation:
                _probation.Remove(handle);
                break;
            default:
                _protected.Remove(handle);
                break;
        }

        _segment[handle] = 0;
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        while (_window.Count > _windowMax && _probation.Count + _protected.Count < _mainMax)
        {
            MoveToProbation(_window.Tail);
        }

        int mainVictim = OldestEvictable.In(_probation, _tier);
        if (mainVictim < 0)
        {
            mainVictim = OldestEvictable.In(_protected, _tier);
        }

        int candidate = _window.Count >= _windowMax || mainVictim < 0 ? OldestEvictable.In(_window, _tier) : -1;
        if (candidate < 0)
        {
            return mainVictim;
        }

        if (mainVictim < 0)
        {
            return candidate;
        }

        if (_sketch.Frequency(_tier.Key(candidate)) > _sketch.Frequency(_tier.Key(mainVictim)))
        {
            MoveToProbation(candidate);
            return mainVictim;
        }

        return candidate;
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    private readonly void MoveToProbation(int handle)
    {
        _window.Remove(handle);
        _segment[handle] = InProbation;
        _probation.PushFront(handle);
    }
}
