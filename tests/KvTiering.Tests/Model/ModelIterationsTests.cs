namespace KvTiering.Tests.Model;

public sealed class ModelIterationsTests
{
    [Theory]
    [InlineData(null, 300, 300)]
    [InlineData("", 40, 40)]
    [InlineData("20000", 300, 20000)]
    [InlineData("20000", 40, 20000)]
    [InlineData("0", 30, 30)]
    [InlineData("-5", 30, 30)]
    [InlineData("many", 30, 30)]
    public void CsCheck_Iter_replaces_a_model_test_s_own_count(string? setting, long count, long expected) =>
        Assert.Equal(expected, ModelIterations.Or(count, setting));
}
