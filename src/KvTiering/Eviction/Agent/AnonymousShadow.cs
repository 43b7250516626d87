using KvTiering.Blocks;

namespace KvTiering.Eviction;

/// <summary>
/// A shadow cache of block keys for <see cref="AgentAnonymousPool"/>: it replays the references to blocks of no
/// session into a metadata-only cache run by one order (ARC's or S3-FIFO's) and counts what that order would have hit,
/// under the harness's prefix semantics (a request's hit ends at its first missing block). Subclasses say where a
/// newcomer and a hit go and which block leaves.
/// </summary>
/// <remarks>
/// Miniature simulation (Waldspurger et al., "Cache Modeling and Optimization using Miniature Simulations", USENIX
/// ATC 2017): a tier too large to shadow whole is shadowed by a spatially hashed sample of the keys (1 in R) at 1/R of
/// its capacity, as in SHARDS (Waldspurger et al., FAST 2015). Nothing allocates after construction: the key index is
/// sized for the capacity and a slot is freed before a newcomer takes one. The key array has room after the resident
/// slots for a subclass's ghost cells, and one index covers both, so a reference probes once whether its key is
/// resident, a ghost or neither (<see cref="OnMiss"/> is told which ghost cell).
/// </remarks>
internal abstract class AnonymousShadow
{
    private readonly KeySlotIndex _slotOf;
    private readonly int[] _free;
    private int _freeTop;
    private int _lastDepth = int.MaxValue;
    private bool _chainAlive;

    /// <param name="capacity">Blocks the shadow holds.</param>
    /// <param name="ghostCells">Cells after the resident slots in <see cref="Keys"/> for the subclass's ghosts, indexed
    /// by <see cref="Index"/> too.</param>
    protected AnonymousShadow(int capacity, int ghostCells)
    {
        Capacity = capacity;
        Keys = CommittedArray.Allocate<BlockKey>(capacity + ghostCells);
        Depths = CommittedArray.Allocate<int>(capacity);
        _slotOf = new KeySlotIndex(Keys);
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeTop = capacity;
    }

    /// <summary>Blocks the shadow holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Blocks a request found in its leading run of resident blocks, decayed by the pool.</summary>
    public double Hits { get; set; }

    /// <summary>The key per resident slot (0 to <see cref="Capacity"/> − 1), then per ghost cell.</summary>
    protected BlockKey[] Keys { get; }

    /// <summary>The index over <see cref="Keys"/>: resident slots and the subclass's ghost cells.</summary>
    protected KeySlotIndex Index => _slotOf;

    protected int[] Depths { get; }

    /// <summary>
    /// The block <paramref name="key"/> at <paramref name="depth"/> is referenced. A depth no deeper than the previous
    /// reference's starts a new request. Returns whether it counted as a hit.
    /// </summary>
    public bool Reference(in BlockKey key, int depth)
    {
        bool starts = depth <= _lastDepth;
        _lastDepth = depth;
        return Reference(key, depth, starts);
    }

    /// <summary>
    /// <see cref="Reference(in BlockKey, int)"/> for a caller that knows where requests start: a sampled shadow sees
    /// only some of a request's blocks, and two requests' samples may run deeper and deeper as one request's would.
    /// <paramref name="startsRequest"/>: a request has started since the previous reference this shadow saw.
    /// </summary>
    public bool Reference(in BlockKey key, int depth, bool startsRequest)
    {
        if (startsRequest)
        {
            _chainAlive = true;
            StartRequest();
        }

        int slot = _slotOf.Find(key);
        if ((uint)slot < (uint)Capacity)
        {
            OnHit(slot);
            if (_chainAlive)
            {
                Hits++;
                return true;
            }

            return false;
        }

        _chainAlive = false;
        OnMiss(key, slot);
        if (_freeTop == 0)
        {
            int victim = SelectVictim();
            if (!OnEvict(victim))
            {
                _slotOf.RemoveSlot(victim);
            }

            _free[_freeTop++] = victim;
        }

        slot = _free[--_freeTop];
        Keys[slot] = key;
        Depths[slot] = depth;
        _slotOf.Add(slot);
        OnInsert(slot);
        return false;
    }

    /// <summary>A new request begins (burst bookkeeping of tail-first lists).</summary>
    protected abstract void StartRequest();

    /// <summary>
    /// A key not resident is referenced, before the victim for it is chosen; <paramref name="ghostCell"/> is the ghost
    /// cell the index holds it in, or -1.
    /// </summary>
    protected abstract void OnMiss(in BlockKey key, int ghostCell);

    /// <summary>A resident block is referenced again.</summary>
    protected abstract void OnHit(int slot);

    /// <summary>A newcomer took <paramref name="slot"/>.</summary>
    protected abstract void OnInsert(int slot);

    /// <summary>The block to evict; the shadow is full, so there is one.</summary>
    protected abstract int SelectVictim();

    /// <summary>
    /// <paramref name="slot"/> leaves (it was the victim): unlink it, remember its ghost. Returns true when its key's
    /// index entry now points at a ghost cell (<see cref="KeySlotIndex.Move"/>), false to have the slot un-indexed.
    /// </summary>
    protected abstract bool OnEvict(int slot);

    /// <summary>
    /// A recency list over shadow slots in which a request's blocks lie deepest-last, as <see cref="TailFirstList"/>
    /// keeps a tier's: a block continues the open burst when it is deeper than the burst's last block.
    /// </summary>
    protected struct BurstList(int capacity)
    {
        private readonly HandleList _list = new(capacity);
        private int _last = -1;
        private int _lastDepth;
        private bool _open;

        public readonly int Tail => _list.Tail;

        public readonly int Count => _list.Count;

        public readonly int Previous(int slot) => _list.Previous(slot);

        /// <summary>The next block goes to the head whatever its depth.</summary>
        public void Close() => _open = false;

        public void Touch(int slot, int depth)
        {
            if (_open && _last >= 0 && depth > _lastDepth)
            {
                _list.InsertAfter(_last, slot);
            }
            else
            {
                _list.PushFront(slot);
            }

            _last = slot;
            _lastDepth = depth;
            _open = true;
        }

        public readonly void Enqueue(int slot) => _list.PushFront(slot);

        public void Requeue(int slot)
        {
            if (slot == _last)
            {
                _open = false;
            }

            _list.MoveToFront(slot);
        }

        public void Remove(int slot)
        {
            if (slot == _last)
            {
                _last = _list.Previous(slot);
            }

            _list.Remove(slot);
        }
    }
}
