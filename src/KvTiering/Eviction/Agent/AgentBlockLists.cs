namespace KvTiering.Eviction;

/// <summary>
/// The blocks of each session slot of <see cref="AgentSessionTable"/>, one doubly linked list per slot in touch order
/// (oldest first): per handle its links, owner slot and last touch, and the order in which a session gives its blocks
/// up. A list's head, tail and count live in its session's record (<see cref="AgentSession"/>), passed by reference.
/// A struct of array references, held by value: each holder (the table, the ranking, the victim picker) reads the
/// per-handle records without an indirection, as when they were the table's own fields, and every copy shares them.
/// </summary>
internal readonly struct AgentBlockLists
{
    private readonly TierView _tier;
    private readonly AgentPolicyOptions _options;
    private readonly AgentSessionSlots _slots;
    private readonly Link[] _links;

    public AgentBlockLists(TierView tier, AgentPolicyOptions options, AgentSessionSlots slots)
    {
        _tier = tier;
        _options = options;
        _slots = slots;
        int capacity = tier.Capacity;
        _links = new Link[capacity];
        Array.Fill(_links, new Link { Owner = -1 });
    }

    /// <summary>The slot whose list holds the block, or -1.</summary>
    public int Owner(int handle) => _links[handle].Owner;

    /// <summary>The next block of the block's list (touched later), or -1.</summary>
    public int Next(int handle) => _links[handle].Next;

    /// <summary>When the block was last touched.</summary>
    public double TouchedAt(int handle) => _links[handle].Touch;

    /// <summary>The block, touched at <paramref name="now"/>, joins the end of the slot's list.</summary>
    public void Append(int handle, int slot, ref AgentSession list, double now)
    {
        int tail = list.Tail;
        _links[handle].Prev = tail;
        _links[handle].Next = -1;
        if (tail >= 0)
        {
            _links[tail].Next = handle;
        }
        else
        {
            list.Head = handle;
        }

        list.Tail = handle;
        _links[handle].Owner = slot;
        if (list.Count++ == 0)
        {
            _slots.MarkHolding(slot);
        }

        _links[handle].Touch = now;
    }

    /// <summary>The block leaves the slot's list; returns whether that was the list's last block.</summary>
    public bool Unlink(int handle, int slot, ref AgentSession list)
    {
        int prev = _links[handle].Prev;
        int next = _links[handle].Next;
        if (prev >= 0)
        {
            _links[prev].Next = next;
        }
        else
        {
            list.Head = next;
        }

        if (next >= 0)
        {
            _links[next].Prev = prev;
        }
        else
        {
            list.Tail = prev;
        }

        _links[handle].Owner = -1;
        if (--list.Count == 0)
        {
            _slots.ClearHolding(slot);
            return true;
        }

        return false;
    }

    /// <summary>Whether the session's oldest block is older than its latest request.</summary>
    public bool HasStaleFront(ref AgentSession s)
    {
        int head = s.Head;
        return head >= 0 && _links[head].Touch < s.LastRequest;
    }

    /// <summary>
    /// Whether the session's oldest blocks were skipped by its latest request: untouched by it, though it has gone as
    /// deep as they are, from no deeper than they start (it took another branch). A shorter request, one still in
    /// progress, or one whose hits have not been reported yet (only its new, deeper blocks have) skips nothing yet.
    /// </summary>
    public bool HasSkippedFront(ref AgentSession s)
    {
        int head = s.Head;
        if (head < 0 || _links[head].Touch >= s.LastRequest)
        {
            return false;
        }

        int depth = _tier.Depth(head);
        return depth <= s.RequestDepth && depth >= s.RequestTop;
    }

    /// <summary>
    /// The block the session gives up, or -1 when it has none it may: blocks its latest request did not touch go
    /// first, deepest of them first (an old branch is cut from its tip, never leaving an orphaned tail), then the
    /// latest request's blocks, deepest first. The shared segment gives up its oldest block.
    /// </summary>
    public int Pick(bool shared, ref AgentSession s)
    {
        if (_options.TailFirst && (shared ? _options.SharedTailFirst && s.Head >= 0 : HasStaleFront(ref s)))
        {
            // The oldest stale request's blocks go first (recency between requests), deepest of them first (no
            // orphaned tail); a session-less trace thus degrades to LRU by request, tail first.
            int head = s.Head;
            double oldest = _links[head].Touch;
            double latest = shared ? double.PositiveInfinity : s.LastRequest;
            int end = head;
            for (int n = _links[end].Next; n >= 0 && _links[n].Touch - oldest <= _options.RequestWindowSeconds && _links[n].Touch < latest; n = _links[end].Next)
            {
                end = n;
            }

            for (int h = end; h >= 0; h = _links[h].Prev)
            {
                if (_tier.IsEvictable(h))
                {
                    return h;
                }
            }
        }

        if (shared || !_options.TailFirst)
        {
            for (int h = s.Head; h >= 0; h = _links[h].Next)
            {
                if (_tier.IsEvictable(h))
                {
                    return h;
                }
            }

            return -1;
        }

        for (int h = s.Tail; h >= 0; h = _links[h].Prev)
        {
            if (_tier.IsEvictable(h))
            {
                return h;
            }
        }

        return -1;
    }

    /// <summary>
    /// A block's place in its session's list, one record per handle: a touch reads and writes all four together, and
    /// with random keys over a large tier each array of its own was a cache miss of its own (four per touch, not one).
    /// </summary>
    private struct Link
    {
        public int Next;
        public int Prev;
        public int Owner;
        public double Touch;
    }
}
