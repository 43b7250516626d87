using KvTiering.Eviction;

namespace KvTiering.Tests.Eviction;

public sealed class DivisibilityTestTests
{
    [Fact]
    public void Answers_as_the_remainder_does_for_every_divisor_and_value_tried()
    {
        var rng = new Random(6);
        uint[] divisors = [1, 2, 3, 4, 5, 7, 8, 10, 16, 100, 1_000, 4_096, 65_537, 1u << 24, uint.MaxValue - 1, uint.MaxValue];
        foreach (uint d in divisors.Concat(Enumerable.Range(0, 200).Select(_ => (uint)rng.Next(1, int.MaxValue))))
        {
            var test = new DivisibilityTest(d);
            uint[] edges = [0, 1, d - 1, d, d + 1, 2 * d, uint.MaxValue, uint.MaxValue - 1, uint.MaxValue / d * d];
            foreach (uint v in edges.Concat(Enumerable.Range(0, 2_000).Select(_ => (uint)rng.NextInt64(0, 1L << 32))))
            {
                Assert.True(v % d == 0 == test.Divides(v), $"{v} mod {d}");
            }
        }
    }
}
