using KvTiering.Eviction;

namespace KvTiering.Tests.Store;

/// <summary>
/// First-in-first-out order over a tier's handles, for the test policies that need exact victims
/// (<see cref="DeadFifoPolicy"/>, <see cref="DemotionLogPolicy"/>): the oldest evictable block goes first.
/// </summary>
internal sealed class FifoOrder
{
    private long[] _entered = [];
    private long _clock;

    public TierView Tier { get; private set; } = null!;

    public void Attach(TierView tier)
    {
        Tier = tier;
        _entered = new long[tier.Capacity];
        Array.Fill(_entered, -1);
    }

    public void Enter(int handle) => _entered[handle] = _clock++;

    public void Leave(int handle) => _entered[handle] = -1;

    public int Oldest()
    {
        int victim = -1;
        for (int h = 0; h < _entered.Length; h++)
        {
            if (_entered[h] >= 0 && Tier.IsEvictable(h) && (victim < 0 || _entered[h] < _entered[victim]))
            {
                victim = h;
            }
        }

        return victim;
    }
}
