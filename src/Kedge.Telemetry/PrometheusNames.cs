using System.Diagnostics.Metrics;
using System.Text;

namespace Kedge.Telemetry;

/// <summary>
/// The Prometheus name of a <see cref="System.Diagnostics.Metrics"/> instrument, as the OpenTelemetry Prometheus exporter
/// writes it (so dashboards written against it keep working): invalid characters become <c>_</c>, the unit is a suffix
/// (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>; annotations such as <c>{connection}</c> add nothing), and
/// counters end in <c>_total</c>. One change: a gauge whose name ends in a suffix Prometheus reserves for histograms
/// and summaries (the runtime's <c>dotnet.assembly.count</c>) gets <c>_current</c> appended, so
/// <c>promtool check metrics</c> passes.
/// </summary>
internal static class PrometheusNames
{
    private static readonly string[] ReservedSuffixes = ["_count", "_sum", "_bucket"];

    public static string For(Instrument instrument, bool isCounter, bool isHistogram = false)
    {
        var name = Sanitize(instrument.Name);
        var unit = UnitSuffix(instrument.Unit);
        if (unit.Length > 0 && !name.EndsWith(unit, StringComparison.Ordinal))
        {
            name += unit;
        }

        if (isCounter)
        {
            return name.EndsWith("_total", StringComparison.Ordinal) ? name : name + "_total";
        }

        return !isHistogram && ReservedSuffixes.Any(suffix => name.EndsWith(suffix, StringComparison.Ordinal)) ? name + "_current" : name;
    }

    /// <summary>A valid Prometheus metric or label name: letters, digits and <c>_</c>, not starting with a digit.</summary>
    public static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    private static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "_seconds",
        "ms" => "_milliseconds",
        "By" => "_bytes",
        _ => string.Empty,
    };
}
