using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
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
    // When an instrument gives no bucket advice: OpenTelemetry's defaults, in seconds for time instruments.
    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly ConcurrentBag<Export> _observables = [];
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
                var export = new Export(instrument, _factory, this);
                if (instrument.IsObservable)
                {
                    _observables.Add(export);
                }

                listener.EnableMeasurementEvents(instrument, export);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>((_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>((_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((Export)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, value, tags, state) => ((Export)state!).Record((double)value, tags));
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

    private enum Kind
    {
        Counter,
        CumulativeCounter,
        Gauge,
        UpDownCounter,
        Histogram,
    }

    /// <summary>One exported instrument: its collectors, one per set of tag names it has been recorded with.</summary>
    private sealed class Export
    {
        private readonly Instrument _instrument;
        private readonly MetricFactory _factory;
        private readonly Kind _kind;
        private readonly string _name;
        private readonly ConcurrentDictionary<string, Collector> _byTagNames = new(StringComparer.Ordinal);
        private readonly MeterBridge _bridge;
        private readonly ConcurrentDictionary<string, (Collector Collector, string[] Values, long Round)> _reported = new(StringComparer.Ordinal);

        public Export(Instrument instrument, MetricFactory factory, MeterBridge bridge)
        {
            _instrument = instrument;
            _factory = factory;
            _bridge = bridge;
            var type = instrument.GetType();
            var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            _kind = generic == typeof(Counter<>) ? Kind.Counter
                : generic == typeof(ObservableCounter<>) ? Kind.CumulativeCounter
                : generic == typeof(UpDownCounter<>) ? Kind.UpDownCounter
                : generic == typeof(Histogram<>) ? Kind.Histogram
                : Kind.Gauge; // ObservableGauge, ObservableUpDownCounter, Gauge: the value is the current value
            _name = PrometheusNames.For(instrument, _kind is Kind.Counter or Kind.CumulativeCounter, _kind == Kind.Histogram);
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var names = new string[tags.Length];
            var values = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                names[i] = PrometheusNames.Sanitize(tags[i].Key);
                values[i] = Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? string.Empty;
            }

            // Instruments record tags in any order; one order per set of names keeps one series per combination.
            Array.Sort(names, values, StringComparer.Ordinal);
            var tagNames = string.Join(',', names);
            var collector = _byTagNames.GetOrAdd(tagNames, static (_, state) => state.Self.Create(state.Names), (Self: this, Names: names));
            if (_instrument.IsObservable && values.Length > 0)
            {
                _reported[tagNames + "\n" + string.Join('\n', values)] = (collector, values, Volatile.Read(ref _bridge._round));
            }

            switch (collector)
            {
                case Counter counter when _kind == Kind.CumulativeCounter:
                    counter.WithLabels(values).IncTo(value);
                    break;
                case Counter counter:
                    counter.WithLabels(values).Inc(Math.Max(0, value));
                    break;
                case Gauge gauge when _kind == Kind.UpDownCounter:
                    gauge.WithLabels(values).Inc(value);
                    break;
                case Gauge gauge:
                    gauge.WithLabels(values).Set(value);
                    break;
                case Histogram histogram:
                    histogram.WithLabels(values).Observe(value);
                    break;
            }
        }

        public void RemoveUnreported(long round)
        {
            foreach (var (key, series) in _reported)
            {
                if (series.Round < round && _reported.TryRemove(key, out _))
                {
                    switch (series.Collector)
                    {
                        case Counter counter:
                            counter.RemoveLabelled(series.Values);
                            break;
                        case Gauge gauge:
                            gauge.RemoveLabelled(series.Values);
                            break;
                    }
                }
            }
        }

        private Collector Create(string[] labelNames)
        {
            var help = string.IsNullOrEmpty(_instrument.Description) ? _instrument.Name : _instrument.Description;
            return _kind switch
            {
                Kind.Counter or Kind.CumulativeCounter => _factory.CreateCounter(_name, help, labelNames),
                Kind.Histogram => _factory.CreateHistogram(_name, help, labelNames, new HistogramConfiguration { Buckets = Buckets() }),
                _ => _factory.CreateGauge(_name, help, labelNames),
            };
        }

        private double[] Buckets()
        {
            var advised = _instrument switch
            {
                Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
                Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                _ => null,
            };
            return advised is { Length: > 0 } ? advised : _instrument.Unit == "s" ? SecondsBuckets : DefaultBuckets;
        }
    }
}
