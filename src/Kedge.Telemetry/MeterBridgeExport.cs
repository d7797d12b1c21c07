using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Prometheus;

namespace Kedge.Telemetry;

/// <summary>One instrument <see cref="MeterBridge"/> exports: its collectors, one per set of tag names it has been recorded with.</summary>
internal sealed class MeterBridgeExport
{
    // When an instrument gives no bucket advice: OpenTelemetry's defaults, in seconds for time instruments.
    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    /// <summary>Tag orders kept per instrument; instruments record with a handful, so past it nothing more is cached.</summary>
    private const int MaxLayouts = 32;

    private readonly Instrument _instrument;
    private readonly MetricFactory _factory;
    private readonly MeterInstrumentKind _kind;
    private readonly string _name;
    private readonly Func<long> _round;
    private readonly ConcurrentDictionary<string, Collector> _byTagNames = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Collector Collector, string[] Values, long Round)> _reported = new(StringComparer.Ordinal);
    private readonly object _layoutsGate = new();
    private volatile MeterBridgeTagLayout[] _layouts = [];

    /// <param name="instrument">The instrument.</param>
    /// <param name="factory">The host registry's factory.</param>
    /// <param name="round">The current collection round (observable series not reported in it are removed).</param>
    public MeterBridgeExport(Instrument instrument, MetricFactory factory, Func<long> round)
    {
        _instrument = instrument;
        _factory = factory;
        _round = round;
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        _kind = generic == typeof(Counter<>) ? MeterInstrumentKind.Counter
            : generic == typeof(ObservableCounter<>) ? MeterInstrumentKind.CumulativeCounter
            : generic == typeof(UpDownCounter<>) ? MeterInstrumentKind.UpDownCounter
            : generic == typeof(Histogram<>) ? MeterInstrumentKind.Histogram
            : MeterInstrumentKind.Gauge; // ObservableGauge, ObservableUpDownCounter, Gauge: the value is the current value
        _name = PrometheusNames.For(instrument, _kind is MeterInstrumentKind.Counter or MeterInstrumentKind.CumulativeCounter, _kind == MeterInstrumentKind.Histogram);
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var layout = Layout(tags);
        var values = layout.Values(tags);
        if (_instrument.IsObservable)
        {
            // Read at scrape time only: no cached children, which a removed series would leave detached.
            if (values.Length > 0)
            {
                _reported[layout.TagNames + "\n" + string.Join('\n', values)] = (layout.Collector, values, _round());
            }

            Update(layout.Collector switch
            {
                Counter counter => counter.WithLabels(values),
                Gauge gauge => gauge.WithLabels(values),
                Histogram histogram => histogram.WithLabels(values),
                _ => null,
            }, value);
            return;
        }

        Update(layout.Child(values), value);
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

    private void Update(object? child, double value)
    {
        switch (child)
        {
            case Counter.Child counter when _kind == MeterInstrumentKind.CumulativeCounter:
                counter.IncTo(value);
                break;
            case Counter.Child counter:
                counter.Inc(Math.Max(0, value));
                break;
            case Gauge.Child gauge when _kind == MeterInstrumentKind.UpDownCounter:
                gauge.Inc(value);
                break;
            case Gauge.Child gauge:
                gauge.Set(value);
                break;
            case Histogram.Child histogram:
                histogram.Observe(value);
                break;
        }
    }

    /// <summary>The layout for the order of <paramref name="tags"/>' keys: found among the known ones, or worked out.</summary>
    private MeterBridgeTagLayout Layout(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var layouts = _layouts;
        foreach (var known in layouts)
        {
            if (known.Matches(tags))
            {
                return known;
            }
        }

        var recordedKeys = new string[tags.Length];
        var names = new string[tags.Length];
        var index = new int[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            recordedKeys[i] = tags[i].Key;
            names[i] = PrometheusNames.Sanitize(tags[i].Key);
            index[i] = i;
        }

        // Instruments record tags in any order; one order per set of names keeps one series per combination.
        Array.Sort(names, index, StringComparer.Ordinal);
        var collector = _byTagNames.GetOrAdd(string.Join(',', names), static (_, state) => state.Self.Create(state.Names), (Self: this, Names: names));
        var layout = new MeterBridgeTagLayout(recordedKeys, names, index, collector);
        lock (_layoutsGate)
        {
            if (_layouts.Length < MaxLayouts)
            {
                _layouts = [.. _layouts, layout];
            }
        }

        return layout;
    }

    private Collector Create(string[] labelNames)
    {
        var help = string.IsNullOrEmpty(_instrument.Description) ? _instrument.Name : _instrument.Description;
        return _kind switch
        {
            MeterInstrumentKind.Counter or MeterInstrumentKind.CumulativeCounter => _factory.CreateCounter(_name, help, labelNames),
            MeterInstrumentKind.Histogram => _factory.CreateHistogram(_name, help, labelNames, new HistogramConfiguration { Buckets = Buckets() }),
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
