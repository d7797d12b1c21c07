using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace Kedge.Telemetry;

/// <summary>
/// Exports the <see cref="System.Diagnostics.Metrics"/> instruments a host selects (Kestrel's, the runtime's, a library's)
/// into the host's prometheus-net <see cref="CollectorRegistry"/>, named as the OpenTelemetry Prometheus exporter names
/// them (<see cref="PrometheusNames"/>). prometheus-net's own MeterAdapter was not used: it prefixes every name with the
/// meter's name and exports counters as gauges, so <c>kestrel_connection_duration_seconds</c> and
/// <c>kedge_client_requests_total</c> would have other names and the wrong type.
/// </summary>
internal sealed class MeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly ConcurrentBag<MeterBridgeExport> _observables = [];
    private long _round;
    private volatile bool _disposed;

    /// <param name="registry">The host's registry.</param>
    /// <param name="include">Which instruments to export (by meter name and, for meters from a host's
    /// <see cref="IMeterFactory"/>, by <see cref="Meter.Scope"/>, so a test process's other hosts stay out).</param>
    public MeterBridge(CollectorRegistry registry, Func<Instrument, bool> include)
    {
        _factory = Metrics.WithCustomRegistry(registry);
        _factory.ExemplarBehavior = ExemplarBehavior.NoExemplars(); // as kedge's own metrics: they cost on every observation
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_disposed && include(instrument))
            {
                var export = new MeterBridgeExport(instrument, _factory, () => Volatile.Read(ref _round));
                if (instrument.IsObservable)
                {
                    _observables.Add(export);
                }

                listener.EnableMeasurementEvents(instrument, export);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((MeterBridgeExport)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((MeterBridgeExport)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>((_, value, tags, state) => ((MeterBridgeExport)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>((_, value, tags, state) => ((MeterBridgeExport)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((MeterBridgeExport)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((MeterBridgeExport)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, value, tags, state) => ((MeterBridgeExport)state!).Record((double)value, tags));
        _listener.Start();
        // Observable instruments are read when Prometheus scrapes, not on a timer; a series one no longer reports (a
        // backend that went away) is removed rather than left at its last value.
        registry.AddBeforeCollectCallback(() =>
        {
            if (_disposed)
            {
                return;
            }

            lock (_observables)
            {
                var round = Interlocked.Increment(ref _round);
                _listener.RecordObservableInstruments();
                foreach (var export in _observables)
                {
                    export.RemoveUnreported(round);
                }
            }
        });
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }
}
