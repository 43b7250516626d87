namespace KvTiering.Eviction;

/// <summary>
/// The duel between the two orderings: expected return (the policy's prediction) and plain recency (session-level LRU,
/// deepest first). Wherever they would pick different victims, the pair is remembered; whichever of the two sessions
/// comes back first is the one that should have stayed, so that ordering lost the decision. The tier runs on the
/// ordering that has won more of the recent decisions.
/// </summary>
/// <remarks>
/// The judge is Belady's rule applied after the fact to each disagreement (Belady 1966: evict the block used furthest
/// in the future); learning between two experts from their disagreements follows ARC's ghost-hit feedback (Megiddo
/// and Modha, FAST'03) and LeCaR's regret between LRU and LFU (Vietri et al., HotStorage'18). Both orderings share the
/// session grouping, the tail-first order within a session and the dead-branch rule, so only the ranking is learned;
/// where recency is already near right (a large tier) the tier falls back to it, where it thrashes (a small tier) the
/// prediction wins.
/// </remarks>
internal sealed partial class AgentSessionTable
{
    private const byte PredictPick = 1;
    private const byte RecencyPick = 2;

    private int[] _duelWith = new int[64]; // the other session of this session's open duel, or -1
    private byte[] _duelRole = new byte[64];
    private int[] _duelBlocks = new int[64]; // blocks the session held when the duel began: what was at stake
    private double _predictWins;           // decayed blocks at stake in the duels the prediction won
    private double _recencyWins;           // the same for recency
    private bool _predict = true;          // the ordering the tier runs on now

    private bool Dueling => _options.Duel && _options.PredictReturn && !_options.OracleDiagnostic;

    private void StartDuel(int predictPick, int recencyPick)
    {
        EndDuel(predictPick);
        EndDuel(recencyPick);
        _duelWith[predictPick] = recencyPick;
        _duelRole[predictPick] = PredictPick;
        _duelWith[recencyPick] = predictPick;
        _duelRole[recencyPick] = RecencyPick;
        _duelBlocks[predictPick] = _count[predictPick];
        _duelBlocks[recencyPick] = _count[recencyPick];
    }

    /// <summary>The session is back: if it was in a duel, it came back first, so the ordering that picked it lost.</summary>
    private void ResolveDuel(int slot)
    {
        int other = _duelWith[slot];
        if (other < 0)
        {
            return;
        }

        bool predictionLost = _duelRole[slot] == PredictPick;
        EndDuel(slot);
        // A decision is worth the blocks of the session that came back: those are the hits it keeps or loses.
        double keep = 1 - _options.DuelRate;
        _predictWins *= keep;
        _recencyWins *= keep;
        if (predictionLost)
        {
            _recencyWins += _duelBlocks[slot];
        }
        else
        {
            _predictWins += _duelBlocks[slot];
        }

        bool predict = _predictWins >= _recencyWins;
        if (predict != _predict)
        {
            _predict = predict;
            _victim = -1;
        }
    }

    private void EndDuel(int slot)
    {
        int other = _duelWith[slot];
        if (other >= 0)
        {
            _duelWith[other] = -1;
            _duelWith[slot] = -1;
        }
    }
}
