using System.Runtime.InteropServices;
using KvTiering.Blocks;

namespace AgentServer.Events;

/// <summary>
/// The store blocks in a lasting tier (flash, remote) that no prompt the server saved in this run accounts for, with
/// the parent each was stored under: at startup, every block the flash tier recovered. Among them it finds the blocks
/// worth reading as a snapshot manifest: a manifest is the last piece of its snapshot's chain (its parent the last
/// data chunk, each chunk's the one before, the first chunk's none), so it is a block with a parent, no child, and a
/// chain that reaches back to a first block — found without reading anything.
/// </summary>
/// <remarks>
/// Waypoints (no parent) and data chunks (a child) are never offered. A leaf whose chain is broken (a chunk evicted,
/// or not yet verified by a flash tier that checks blocks in the background after open) waits until the chain is
/// whole. Each block is offered once while it stays resident. Not thread-safe: the tracker's pump drives it.
/// </remarks>
internal sealed class UnclaimedBlocks
{
    private readonly Dictionary<BlockKey, BlockKey> _parents = [];
    private readonly Dictionary<BlockKey, int> _children = [];
    private readonly HashSet<BlockKey> _offered = [];
    private bool _changed;

    /// <summary>Blocks followed.</summary>
    public int Count => _parents.Count;

    /// <summary>A block stored in a lasting tier that no saved prompt holds.</summary>
    public void Add(in BlockKey key, in BlockKey parent)
    {
        if (!_parents.TryAdd(key, parent))
        {
            return;
        }

        if (!parent.IsEmpty)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_children, parent, out _)++;
            _changed = true;
        }
        else
        {
            _changed |= _children.ContainsKey(key); // a first chunk that completes a chain; a waypoint changes nothing
        }
    }

    /// <summary>A block that left the store, or that a saved prompt now holds.</summary>
    public void Remove(in BlockKey key)
    {
        if (!_parents.Remove(key, out BlockKey parent))
        {
            return;
        }

        _offered.Remove(key);
        if (!parent.IsEmpty && --CollectionsMarshal.GetValueRefOrNullRef(_children, parent) == 0)
        {
            _children.Remove(parent);
            _changed = true; // its parent is a leaf now
        }
    }

    /// <summary>Forgets every block (the store's events were lost or it was cleared).</summary>
    public void Clear()
    {
        _parents.Clear();
        _children.Clear();
        _offered.Clear();
        _changed = false;
    }

    /// <summary>Adds to <paramref name="leaves"/> the blocks not offered before that may be manifests (see the class).</summary>
    public void TakeLeaves(List<BlockKey> leaves)
    {
        if (!_changed)
        {
            return;
        }

        _changed = false;
        foreach ((BlockKey key, BlockKey parent) in _parents)
        {
            if (!parent.IsEmpty && !_children.ContainsKey(key) && !_offered.Contains(key) && ReachesFirstBlock(parent))
            {
                _offered.Add(key);
                leaves.Add(key);
            }
        }
    }

    private bool ReachesFirstBlock(BlockKey block)
    {
        for (int steps = 0; steps <= _parents.Count; steps++) // a cycle (a corrupt store) cannot loop forever
        {
            if (!_parents.TryGetValue(block, out BlockKey parent))
            {
                return false;
            }

            if (parent.IsEmpty)
            {
                return true;
            }

            block = parent;
        }

        return false;
    }
}
