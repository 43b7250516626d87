namespace KvTiering.Eviction;

/// <summary>
/// W-TinyLFU exactly as libCacheSim's WTinyLFU.c runs it (<c>wtinylfu:libcachesim=1</c>), for comparing against
/// libCacheSim's numbers; <see cref="WTinyLfuPolicy"/> (Caffeine's) stays the default. An LRU window of
/// <c>(int)(capacity × window)</c> blocks before a segmented LRU (probation : protected = 1 : 4) whose admission is
/// decided by a counting Bloom filter.
/// </summary>
/// <remarks>
/// <para>
/// Follows libCacheSim (github.com/1a1a11a/libCacheSim at aa0fc40): cache/eviction/WTinyLFU.c with its default
/// <c>main-cache=SLRU,window-size=0.01</c>, cache/eviction/SLRU.c with <c>seg-size=1:4</c>, and the sketch of
/// dataStructure/minimalIncrementCBF.c (<see cref="CountingBloomFilter"/>). Where it departs from Caffeine and the
/// TinyLFU paper (Einziger, Friedman and Manes, ACM TOS 2017), this follows libCacheSim:
/// </para>
/// <list type="bullet">
/// <item>The sketch counts an insert, a hit in the main space (not in the window) and, once more, every window block
/// that leaves the window (to the main space or out). Its counters are 32-bit and never saturate; every
/// 32 × main-size hits in the main space (only those) all counters halve.</item>
/// <item>The segments hold <c>(int)(main × 1/5)</c> and <c>(int)(main × 4/5)</c> blocks; a block entering the main
/// space goes to the lowest segment with room, so until protected fills, window blocks enter it unhit. A probation hit
/// moves the block to protected; protected's overflow goes to probation's head, and probation's overflow (possible
/// only when the two shares round below the main size) leaves the cache.</item>
/// <item>An eviction walks the window from its oldest block: while the main space has room the block moves there;
/// otherwise it duels the main space's oldest (probation's, else protected's) and moves in only when its estimate is
/// strictly higher, the main block then leaving. The walk ends when a window block loses (it leaves) or the window is
/// empty (the main space's oldest leaves), so one eviction can remove several blocks.</item>
/// </list>
/// <para>
/// The store evicts one block per insert, so the extra blocks of such an eviction are held as <em>pending</em>: out of
/// every segment, the next victims, returned by the following calls for a victim, which libCacheSim makes none of
/// because it has room. The contents then agree after every miss; the counts differ only when a pending block is
/// referenced before it leaves (a hit here, a miss there; it then re-enters the window as libCacheSim re-inserts it):
/// on the 200,000-reference comparison trace of docs/harness.md that happened at most 7 times per size.
/// A window share that rounds to no block gets one (libCacheSim's then admits nothing).
/// </para>
/// </remarks>
public struct WTinyLfuLibCacheSimPolicy : IEvictionPolicy
{
    private const byte InWindow = 1;
    private const byte InProbation = 2;
    private const byte InProtected = 3;
    private const byte IsPending = 4;

    private readonly double _windowShare;
    private TierView _tier;
    private HandleList _window;      // head = most recent
    private HandleList _probation;   // head = most recent
    private HandleList _protected;   // head = most recent
    private HandleList _pending;     // evicted in libCacheSim's terms, still resident here; tail leaves first
    private CountingBloomFilter _sketch;
    private byte[] _segment;
    private int _mainMax;
    private int _probationMax;
    private int _protectedMax;
    private long _mainHits;
    private long _decayPeriod;

    /// <summary>libCacheSim's W-TinyLFU with an LRU window of <paramref name="windowShare"/> of the tier.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="windowShare"/> is not in (0, 1).</exception>
    public WTinyLfuLibCacheSimPolicy(double windowShare)
    {
        if (!(windowShare > 0 && windowShare < 1))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(windowShare), windowShare, $"W-TinyLFU's window share {windowShare} must lie between 0 and 1.");
        }

        _windowShare = windowShare;
        _tier = null!; // set by Attach
        _sketch = null!;
        _segment = [];
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
        _pending = new HandleList(capacity);
        _segment = new byte[capacity];
        double share = _windowShare == 0 ? WTinyLfuPolicy.DefaultWindowShare : _windowShare;
        int window = Math.Max(1, (int)(capacity * share)); // C: cache_size *= window_size (int64 truncation)
        _mainMax = Math.Max(0, capacity - window);
        _probationMax = (int)(1.0 / 5 * _mainMax);
        _protectedMax = (int)(4.0 / 5 * _mainMax);
        _sketch = new CountingBloomFilter(_mainMax);
        _decayPeriod = 32L * Math.Max(1, _mainMax);
        _mainHits = 0;
    }

    /// <inheritdoc />
    public readonly bool Admit(in BlockInfo block) => true;

    /// <inheritdoc />
    public readonly void OnInsert(int handle)
    {
        _segment[handle] = InWindow;
        _window.PushFront(handle);
        _sketch.Add(_tier.Key(handle));
    }

    /// <inheritdoc />
    public void OnAccess(int handle)
    {
        switch (_segment[handle])
        {
            case InWindow:
                _window.MoveToFront(handle); // a window hit is not counted (WTinyLFU_find counts main hits only)
                return;
            case IsPending:
                // libCacheSim missed this one and inserts it again, into the window, with room to spare.
                _pending.Remove(handle);
                OnInsert(handle);
                return;
            case InProbation:
                _probation.Remove(handle);
                _segment[handle] = InProtected;
                _protected.PushFront(handle);
                while (_protected.Count > _protectedMax)
                {
                    int cooled = _protected.PopBack();
                    _segment[cooled] = InProbation;
                    _probation.PushFront(cooled);
                    while (_probation.Count > _probationMax)
                    {
                        Pend(_probation.Tail);
                    }
                }

                break;
            default:
                _protected.MoveToFront(handle);
                break;
        }

        _sketch.Add(_tier.Key(handle));
        if (++_mainHits >= _decayPeriod)
        {
            _mainHits = 0;
            _sketch.Decay();
        }
    }

    /// <inheritdoc />
    public readonly void OnRemove(int handle)
    {
        Unlink(handle);
        _segment[handle] = 0;
    }

    /// <inheritdoc />
    public readonly int SelectVictim()
    {
        int pending = OldestEvictable.In(_pending, _tier);
        if (pending >= 0)
        {
            return pending;
        }

        // WTinyLFU_evict: every block it evicts becomes pending; the last one is this call's victim, the others leave
        // at the next calls (libCacheSim makes none then: it has room).
        int victim = -1;
        while (victim < 0)
        {
            int candidate = OldestEvictable.In(_window, _tier);
            if (candidate < 0)
            {
                victim = MainVictim();
                if (victim < 0)
                {
                    break; // nothing evictable
                }

                Pend(victim);
                break;
            }

            if (_probation.Count + _protected.Count + 1 <= _mainMax)
            {
                _window.Remove(candidate);
                InsertIntoMain(candidate);
            }
            else
            {
                int mainVictim = MainVictim();
                if (mainVictim >= 0 && _sketch.Estimate(_tier.Key(candidate)) > _sketch.Estimate(_tier.Key(mainVictim)))
                {
                    Pend(mainVictim);
                    _window.Remove(candidate);
                    InsertIntoMain(candidate);
                }
                else
                {
                    Pend(candidate);
                    victim = candidate;
                }
            }

            _sketch.Add(_tier.Key(candidate)); // every window block that leaves the window counts once more
        }

        return victim >= 0 ? victim : OldestEvictable.In(_pending, _tier);
    }

    /// <inheritdoc />
    public readonly void OnSessionHint(long session, SessionHint hint)
    {
    }

    /// <summary>SLRU_to_evict: probation's oldest, else protected's.</summary>
    private readonly int MainVictim()
    {
        int victim = OldestEvictable.In(_probation, _tier);
        return victim >= 0 ? victim : OldestEvictable.In(_protected, _tier);
    }

    /// <summary>SLRU_insert: the lowest segment with room; if none, make room in the main space and use probation.</summary>
    private readonly void InsertIntoMain(int handle)
    {
        byte segment;
        if (_probation.Count + 1 <= _probationMax)
        {
            segment = InProbation;
        }
        else if (_protected.Count + 1 <= _protectedMax)
        {
            segment = InProtected;
        }
        else
        {
            int victim;
            while (_probation.Count + _protected.Count + 1 > _mainMax && (victim = MainVictim()) >= 0)
            {
                Pend(victim);
            }

            segment = InProbation;
        }

        _segment[handle] = segment;
        if (segment == InProbation)
        {
            _probation.PushFront(handle);
        }
        else
        {
            _protected.PushFront(handle);
        }
    }

    /// <summary>Takes a block out of its segment: evicted as libCacheSim sees it, to leave at a coming call for a victim.</summary>
    private readonly void Pend(int handle)
    {
        Unlink(handle);
        _segment[handle] = IsPending;
        _pending.PushFront(handle);
    }

    /// <summary>Takes a block out of whichever list its segment names.</summary>
    private readonly void Unlink(int handle)
    {
        switch (_segment[handle])
        {
            case InWindow:
                _window.Remove(handle);
                break;
            case InProbation:
                _probation.Remove(handle);
                break;
            case InProtected:
                _protected.Remove(handle);
                break;
            case IsPending:
                _pending.Remove(handle);
                break;
        }
    }
}
