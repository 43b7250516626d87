using KvTiering.Simulation.Traces;

namespace KvTiering.Simulation.Tests.Replay;

/// <summary>Small traces built in code: sessions whose prompts grow turn by turn over a shared prefix.</summary>
internal static class TestTraces
{
    public static Trace GrowingSessions(int seed, int sessions = 40, int turns = 12, int sharedBlocks = 4, int blockTokens = 16)
    {
        var rng = new Random(seed);
        var contexts = new List<int>[sessions];
        int nextId = sharedBlocks;
        for (int s = 0; s < sessions; s++)
        {
            contexts[s] = [.. Enumerable.Range(0, sharedBlocks)];
        }

        var time = new List<double>();
        var session = new List<long>();
        var input = new List<int>();
        var output = new List<int>();
        var starts = new List<int> { 0 };
        var ids = new List<int>();
        double now = 0;
        for (int step = 0; step < sessions * turns; step++)
        {
            int s = rng.Next(sessions);
            int grow = 1 + rng.Next(6);
            for (int g = 0; g < grow; g++)
            {
                contexts[s].Add(nextId++);
            }

            if (rng.Next(10) == 0)
            {
                contexts[s] = [.. Enumerable.Range(0, sharedBlocks)]; // session restarts: new context over the shared head
            }

            now += rng.NextDouble();
            time.Add(now);
            session.Add(s + 1);
            int tokens = (contexts[s].Count * blockTokens) + rng.Next(blockTokens);
            input.Add(tokens);
            output.Add(1 + rng.Next(20));
            ids.AddRange(contexts[s]);
            starts.Add(ids.Count);
        }

        return new Trace($"test-{seed}", blockTokens, [.. time], [.. session], [.. input], [.. output], [.. starts], [.. ids], nextId);
    }
}
