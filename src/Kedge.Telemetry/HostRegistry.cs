using System.Diagnostics.Metrics;
using Prometheus;

namespace Kedge.Telemetry;

/// <summary>
/// The metrics registry of one kedge or winch host. One per host, never prometheus-net's process-wide default, so hosts
/// in one process (the tests run dozens) never see each other's series.
/// </summary>
internal static class HostRegistry
{
    /// <summary>The runtime's own meter (GC, JIT, thread pool, exceptions): process-wide facts, exported by every host.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>A new registry with the process metrics (<c>process_*</c>, <c>dotnet_collection_count_total</c>, ...).</summary>
    public static CollectorRegistry Create()
    {
        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        return registry;
    }

    /// <summary>
    /// Whether <paramref name="instrument"/> is one this host exports: the runtime's meter, or one of
    /// <paramref name="meterNames"/> created by this host's <paramref name="meterFactory"/>. Everything a kedge or winch host
    /// records comes from its factory; a meter of the same name with no factory (a Kedge.Client made without one, such as
    /// a one-shot <c>winch check</c> or an application's own client in the same process) is someone else's.
    /// </summary>
    public static bool Owns(Instrument instrument, IMeterFactory meterFactory, params string[] meterNames)
    {
        var meter = instrument.Meter;
        return meter.Name == RuntimeMeterName
            || (meterNames.Contains(meter.Name, StringComparer.Ordinal) && ReferenceEquals(meter.Scope, meterFactory));
    }
}
