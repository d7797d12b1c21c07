namespace Kedge.Testing;

/// <summary>Kubernetes equality-based label selectors: <c>k</c>, <c>!k</c>, <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, comma-separated (all must hold).</summary>
public sealed class LabelSelector
{
    private readonly List<Func<IDictionary<string, string>?, bool>> _terms = [];

    public static LabelSelector Parse(string? selector)
    {
        var result = new LabelSelector();
        foreach (var raw in (selector ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Contains("!=", StringComparison.Ordinal))
            {
                var (k, v) = Split(raw, "!=");
                result._terms.Add(l => l is null || !l.TryGetValue(k, out var x) || x != v);
            }
            else if (raw.Contains('=', StringComparison.Ordinal))
            {
                var (k, v) = Split(raw, raw.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                result._terms.Add(l => l is not null && l.TryGetValue(k, out var x) && x == v);
            }
            else if (raw.StartsWith('!'))
            {
                var k = raw[1..];
                result._terms.Add(l => l is null || !l.ContainsKey(k));
            }
            else
            {
                result._terms.Add(l => l is not null && l.ContainsKey(raw));
            }
        }

        return result;
    }

    public bool Matches(IDictionary<string, string>? labels) => _terms.All(t => t(labels));

    private static (string Key, string Value) Split(string term, string op)
    {
        var i = term.IndexOf(op, StringComparison.Ordinal);
        return (term[..i].Trim(), term[(i + op.Length)..].Trim());
    }
}
