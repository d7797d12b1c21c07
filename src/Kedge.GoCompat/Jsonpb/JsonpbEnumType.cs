namespace Kedge.GoCompat.Jsonpb;

/// <summary>A proto3 enum as jsonpb sees it: names and numbers.</summary>
public sealed class JsonpbEnumType
{
    /// <summary>Creates the enum; <paramref name="names"/> are indexed by their number (0, 1, 2…).</summary>
    public JsonpbEnumType(string fullName, params string[] names)
    {
        FullName = fullName;
        Names = names;
    }

    /// <summary>The proto full name, for example <c>kedge.config.http.routes.ProxyMode</c>.</summary>
    public string FullName { get; }

    /// <summary>The value names, indexed by number.</summary>
    internal IReadOnlyList<string> Names { get; }

    /// <summary>Lists the accepted values for error messages: <c>ANY (0), REVERSE_PROXY (1)</c>.</summary>
    public string Describe() => string.Join(", ", Names.Select((name, number) => $"{name} ({number})"));
}
