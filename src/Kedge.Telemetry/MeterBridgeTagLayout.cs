using System.Collections.Concurrent;
using System.Globalization;
using Prometheus;

namespace Kedge.Telemetry;

/// <summary>
/// One order of tag names an instrument records with, worked out once: the sanitized names in label order, where each
/// recorded tag goes, the collector for that set of names and its labelled children (bounded), so a measurement
/// costs one values array and dictionary lookups instead of sorting, joining and prometheus-net's label lookup.
/// </summary>
internal sealed class MeterBridgeTagLayout
{
    /// <summary>Children kept per layout; past it, measurements go through prometheus-net's own label lookup.</summary>
    private const int MaxChildren = 4096;

    private readonly string[] _recordedKeys;
    private readonly int[] _recordedIndex;
    private readonly ConcurrentDictionary<string[], object> _children = new(OrdinalStringArrayComparer.Instance);

    public MeterBridgeTagLayout(string[] recordedKeys, string[] sortedNames, int[] recordedIndex, Collector collector)
    {
        _recordedKeys = recordedKeys;
        SortedNames = sortedNames;
        _recordedIndex = recordedIndex;
        Collector = collector;
        TagNames = string.Join(',', sortedNames);
    }

    /// <summary>The sanitized tag names in label order.</summary>
    public string[] SortedNames { get; }

    /// <summary>The sanitized tag names in label order, joined with commas.</summary>
    public string TagNames { get; }

    public Collector Collector { get; }

    /// <summary>Whether <paramref name="tags"/> come with exactly this layout's keys, in its order.</summary>
    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != _recordedKeys.Length)
        {
            return false;
        }

        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i].Key, _recordedKeys[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The tag values in label order.</summary>
    public string[] Values(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return [];
        }

        var values = new string[tags.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Convert.ToString(tags[_recordedIndex[i]].Value, CultureInfo.InvariantCulture) ?? string.Empty;
        }

        return values;
    }

    /// <summary>The labelled child for <paramref name="values"/>, cached up to a bound.</summary>
    public object Child(string[] values)
    {
        if (_children.TryGetValue(values, out var child))
        {
            return child;
        }

        child = Collector switch
        {
            Counter counter => counter.WithLabels(values),
            Gauge gauge => gauge.WithLabels(values),
            Histogram histogram => histogram.WithLabels(values),
            _ => throw new InvalidOperationException($"Unexpected collector {Collector.GetType()}."),
        };
        return _children.Count < MaxChildren ? _children.GetOrAdd(values, child) : child;
    }
}
