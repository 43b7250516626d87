using System.Diagnostics.Metrics;

namespace KvTiering.Tests.Diagnostics;

/// <summary>A meter factory that owns its meters, as the DI one does, so collectors can scope to it.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        options.Scope = this;
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (Meter meter in _meters)
        {
            meter.Dispose();
        }
    }
}
