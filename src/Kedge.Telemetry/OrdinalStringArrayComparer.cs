namespace Kedge.Telemetry;

/// <summary>Compares string arrays by their elements, ordinally (tag values as dictionary keys).</summary>
internal sealed class OrdinalStringArrayComparer : IEqualityComparer<string[]>
{
    public static readonly OrdinalStringArrayComparer Instance = new();

    public bool Equals(string[]? x, string[]? y)
        => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y, StringComparer.Ordinal));

    public int GetHashCode(string[] obj)
    {
        var hash = default(HashCode);
        foreach (var value in obj)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}
