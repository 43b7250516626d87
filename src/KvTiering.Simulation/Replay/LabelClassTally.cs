using KvTiering.Placement;

namespace KvTiering.Simulation.Replay;

/// <summary>Per label combination: requests, input and hit tokens, modeled time-to-first-token.</summary>
internal sealed class LabelClassTally
{
    private const int Classes = 243; // WorkloadLabels' combinations
    private readonly long[] _requests = new long[Classes];
    private readonly long[] _input = new long[Classes];
    private readonly long[] _hit = new long[Classes];
    private readonly double[] _ttft = new double[Classes];

    public void Add(WorkloadLabels labels, int inputTokens, long hitTokens, double ttftSeconds)
    {
        int c = labels.Code;
        _requests[c]++;
        _input[c] += inputTokens;
        _hit[c] += hitTokens;
        _ttft[c] += ttftSeconds;
    }

    public List<LabelClassResult> Results(bool modeled)
    {
        var list = new List<LabelClassResult>();
        for (int c = 0; c < Classes; c++)
        {
            if (_requests[c] > 0)
            {
                list.Add(new LabelClassResult
                {
                    Labels = WorkloadLabels.FromCode(c).ToString(),
                    Requests = _requests[c],
                    InputTokens = _input[c],
                    HitTokens = _hit[c],
                    ModeledTtftSeconds = modeled ? _ttft[c] : null,
                });
            }
        }

        return list;
    }
}
