namespace Kedge.Testing.Prometheus;

/// <summary>One element of an instant-vector (or scalar) query result.</summary>
public sealed record PrometheusSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;

    public override string ToString()
        => $"{{{string.Join(", ", Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} {Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
