namespace Kedge.GoCompat.Jsonpb;

/// <summary>
/// A proto3 message as jsonpb (golang/protobuf 1.3.2) sees it: its fields by proto name, each also accepted under
/// its lowerCamel JSON name.
/// </summary>
public sealed class JsonpbMessageType
{
    private readonly Dictionary<string, string> _protoNameByJsonName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hints;

    /// <summary>Creates the message type.</summary>
    /// <param name="fullName">The proto full name, for example <c>kedge.config.http.routes.Route</c>.</param>
    /// <param name="fields">The proto (snake_case) field names, in declaration order.</param>
    /// <param name="hints">Extra advice for names that are not fields but look as if they were meant to be.</param>
    public JsonpbMessageType(string fullName, IReadOnlyList<string> fields, IReadOnlyDictionary<string, string>? hints = null)
    {
        FullName = fullName;
        Fields = fields;
        foreach (var field in fields)
        {
            _protoNameByJsonName[field] = field;
            _protoNameByJsonName[ToJsonName(field)] = field;
        }

        _hints = hints is null ? [] : new Dictionary<string, string>(hints, StringComparer.Ordinal);
    }

    /// <summary>The proto full name.</summary>
    public string FullName { get; }

    /// <summary>The proto field names in declaration order.</summary>
    internal IReadOnlyList<string> Fields { get; }

    /// <summary>Maps a JSON property name (proto or lowerCamel form) to the proto field name.</summary>
    internal bool TryGetField(string jsonName, out string protoName) =>
        _protoNameByJsonName.TryGetValue(jsonName, out protoName!);

    /// <summary>Advice for a name that is not a field, if any.</summary>
    internal string? HintFor(string jsonName) => _hints.GetValueOrDefault(jsonName);

    /// <summary>
    /// A field whose name differs from <paramref name="jsonName"/> only in case or underscores
    /// (<c>BackendName</c>, <c>backendname</c>), if any: jsonpb matches names exactly.
    /// </summary>
    internal string? SimilarField(string jsonName)
    {
        var wanted = Normalize(jsonName);
        return Fields.FirstOrDefault(field => Normalize(field) == wanted);
    }

    /// <summary>Lists the accepted names for error messages: <c>backend_name (or backendName), path_rules…</c>.</summary>
    internal string DescribeFields() => string.Join(", ", Fields.Select(field =>
    {
        var jsonName = ToJsonName(field);
        return jsonName == field ? field : $"{field} (or {jsonName})";
    }));

    /// <summary>
    /// protoc's JSON name: underscores are dropped and the letter after each one is upper-cased
    /// (<c>backend_name</c> → <c>backendName</c>).
    /// </summary>
    internal static string ToJsonName(string protoName)
    {
        var result = new System.Text.StringBuilder(protoName.Length);
        var upperNext = false;
        foreach (var c in protoName)
        {
            if (c == '_')
            {
                upperNext = true;
            }
            else if (upperNext)
            {
                result.Append(char.ToUpperInvariant(c));
                upperNext = false;
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    private static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
}
