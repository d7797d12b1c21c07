using System.Globalization;
using System.Text.Json;

namespace Kedge.GoCompat.Jsonpb;

/// <summary>
/// One JSON object read as a proto3 message the way jsonpb (golang/protobuf 1.3.2) reads it: fields under their
/// proto or lowerCamel name, unknown fields rejected, <c>null</c> meaning "not set". Type errors are reported to the
/// sink with the field's JSON path, and the getters then return the field's default so that reading goes on and
/// every error is found in one pass.
/// </summary>
public sealed class JsonpbMessage
{
    private readonly GoConfigErrorSink _errors;
    private readonly Dictionary<string, (string Name, JsonElement Value)> _fields;

    private JsonpbMessage(string path, JsonpbMessageType type, GoConfigErrorSink errors, Dictionary<string, (string Name, JsonElement Value)> fields)
    {
        Path = path;
        Type = type;
        _errors = errors;
        _fields = fields;
    }

    /// <summary>The JSON path of this message (empty for the top level).</summary>
    public string Path { get; }

    /// <summary>The message type.</summary>
    public JsonpbMessageType Type { get; }

    /// <summary>
    /// Reads <paramref name="element"/> as a message. Returns null for JSON <c>null</c> (not set, as jsonpb does) and,
    /// after reporting an error, for anything that is not an object.
    /// </summary>
    internal static JsonpbMessage? Read(JsonElement element, string path, JsonpbMessageType type, GoConfigErrorSink errors)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path, $"expected a JSON object ({type.FullName}) but got {Describe(element)}", "Write the message as an object: { ... }");
            return null;
        }

        var fields = new Dictionary<string, (string Name, JsonElement Value)>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var propertyPath = Join(path, property.Name);
            if (!type.TryGetField(property.Name, out var protoName))
            {
                ReportUnknownField(property.Name, propertyPath, type, errors);
                continue;
            }

            if (fields.TryGetValue(protoName, out var existing))
            {
                var problem = existing.Name == property.Name
                    ? $"duplicate field \"{property.Name}\""
                    : $"\"{existing.Name}\" and \"{property.Name}\" are the same field ({protoName}) given twice";
                errors.Add(propertyPath, problem, "Keep only one of them");
                continue;
            }

            fields[protoName] = (property.Name, property.Value);
        }

        return new JsonpbMessage(path, type, errors, fields);
    }

    /// <summary>Appends a property name or an index to a JSON path.</summary>
    public static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>True when the field is given with a non-null value.</summary>
    public bool Has(string field) => _fields.TryGetValue(field, out var entry) && entry.Value.ValueKind != JsonValueKind.Null;

    /// <summary>The JSON path of a field, under the name the config used (the proto name when it is absent).</summary>
    public string PathOf(string field) => Join(Path, _fields.TryGetValue(field, out var entry) ? entry.Name : field);

    /// <summary>Reads a <c>string</c> field; null when absent or null.</summary>
    public string? GetString(string field)
    {
        if (!TryGet(field, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        _errors.Add(PathOf(field), $"expected a string but got {Describe(value)}", "Write the value in double quotes");
        return null;
    }

    /// <summary>Reads a <c>bool</c> field; false when absent or null.</summary>
    public bool GetBool(string field)
    {
        if (!TryGet(field, out var value))
        {
            return false;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                _errors.Add(PathOf(field), $"expected true or false but got {Describe(value)}", "Write true or false without quotes");
                return false;
        }
    }

    /// <summary>Reads a <c>uint32</c> port field (a number, or a numeric string as jsonpb allows); 0 when absent or null.</summary>
    public int GetPort(string field) => TryGet(field, out var value) ? ReadPort(value, PathOf(field)) : 0;

    /// <summary>Reads an enum field (a value name or number); 0 when absent, null or invalid.</summary>
    public int GetEnum(string field, JsonpbEnumType type)
    {
        if (!TryGet(field, out var value))
        {
            return 0;
        }

        var path = PathOf(field);
        var fix = $"Use one of {type.Describe()}";
        if (value.ValueKind == JsonValueKind.String)
        {
            // jsonpb matches enum names exactly and does not accept quoted numbers for enums.
            var name = value.GetString()!;
            for (var number = 0; number < type.Names.Count; number++)
            {
                if (string.Equals(type.Names[number], name, StringComparison.Ordinal))
                {
                    return number;
                }
            }

            _errors.Add(path, $"unknown value \"{name}\" for enum {type.FullName}", fix);
            return 0;
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            // jsonpb would keep any int32, but a number without a name has no meaning in kedge.
            if (value.TryGetInt32(out var number) && IsInteger(value) && number >= 0 && number < type.Names.Count)
            {
                return number;
            }

            _errors.Add(path, $"unknown value {value.GetRawText()} for enum {type.FullName}", fix);
            return 0;
        }

        _errors.Add(path, $"expected an enum value name or number but got {Describe(value)}", fix);
        return 0;
    }

    /// <summary>Reads a message field; null when absent, null or not an object.</summary>
    public JsonpbMessage? GetMessage(string field, JsonpbMessageType type) =>
        TryGet(field, out var value) ? Read(value, PathOf(field), type, _errors) : null;

    /// <summary>
    /// Reads a repeated message field; elements that are not objects are reported and skipped. Elements are read
    /// lazily, so errors come out in document order when the caller handles each element as it gets it.
    /// </summary>
    public IEnumerable<JsonpbMessage> GetMessages(string field, JsonpbMessageType type)
    {
        foreach (var (element, path) in GetArray(field))
        {
            if (element.ValueKind == JsonValueKind.Null)
            {
                // jsonpb would keep a nil message here, which Go kedge then dereferences.
                _errors.Add(path, $"null is not a {type.FullName}", "Remove the null from the list");
                continue;
            }

            var message = Read(element, path, type, _errors);
            if (message is not null)
            {
                yield return message;
            }
        }
    }

    /// <summary>Reads a repeated <c>string</c> field.</summary>
    public List<string> GetStrings(string field)
    {
        var result = new List<string>();
        foreach (var (element, path) in GetArray(field))
        {
            if (element.ValueKind == JsonValueKind.String)
            {
                result.Add(element.GetString()!);
            }
            else
            {
                _errors.Add(path, $"expected a string but got {Describe(element)}", "Write each list entry in double quotes");
            }
        }

        return result;
    }

    /// <summary>Reads a repeated <c>uint32</c> port field.</summary>
    public List<int> GetPorts(string field)
    {
        var result = new List<int>();
        foreach (var (element, path) in GetArray(field))
        {
            if (element.ValueKind == JsonValueKind.Null)
            {
                _errors.Add(path, "null is not a port", "Remove the null from the list");
                continue;
            }

            var errorsBefore = _errors.Count;
            var port = ReadPort(element, path);
            if (_errors.Count == errorsBefore)
            {
                result.Add(port);
            }
        }

        return result;
    }

    /// <summary>
    /// Reads a <c>map&lt;string, string&gt;</c> field into <paramref name="target"/>. Keys that collide under the target's
    /// comparer (case-insensitive for headers and metadata) are reported.
    /// </summary>
    public void GetStringMap(string field, Dictionary<string, string> target)
    {
        if (!TryGet(field, out var value))
        {
            return;
        }

        var path = PathOf(field);
        if (value.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(path, $"expected an object of string values but got {Describe(value)}", "Write the map as { \"key\": \"value\" }");
            return;
        }

        foreach (var entry in value.EnumerateObject())
        {
            var entryPath = $"{path}[\"{entry.Name}\"]";
            string entryValue;
            switch (entry.Value.ValueKind)
            {
                case JsonValueKind.String:
                    entryValue = entry.Value.GetString()!;
                    break;
                case JsonValueKind.Null:
                    // jsonpb reads a null map value as the empty string.
                    entryValue = string.Empty;
                    break;
                default:
                    _errors.Add(entryPath, $"expected a string but got {Describe(entry.Value)}", "Write the value in double quotes");
                    continue;
            }

            if (!target.TryAdd(entry.Name, entryValue))
            {
                var existing = target.Keys.First(key => target.Comparer.Equals(key, entry.Name));
                var problem = existing == entry.Name
                    ? $"duplicate key \"{entry.Name}\""
                    : $"key \"{entry.Name}\" repeats \"{existing}\" (keys are case-insensitive)";
                _errors.Add(entryPath, problem, "Keep only one of them");
            }
        }
    }

    /// <summary>Describes a JSON value for error messages: <c>a string "abc"</c>, <c>a number 1.5</c>, <c>an array</c>.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"a string {value.GetRawText()}",
        JsonValueKind.Number => $"a number {value.GetRawText()}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static void ReportUnknownField(string name, string path, JsonpbMessageType type, GoConfigErrorSink errors)
    {
        var fix = $"Accepted fields: {type.DescribeFields()}";
        var similar = type.SimilarField(name);
        if (similar is not null)
        {
            fix = $"Did you mean \"{similar}\"? Field names are case-sensitive. {fix}";
        }

        var hint = type.HintFor(name);
        if (hint is not null)
        {
            fix = $"{hint}. {fix}";
        }

        errors.Add(path, $"unknown field \"{name}\" in {type.FullName}", fix);
    }

    private static bool IsInteger(JsonElement number)
    {
        var raw = number.GetRawText();
        return raw.AsSpan().IndexOfAny(".eE") < 0;
    }

    private int ReadPort(JsonElement value, string path)
    {
        const string Fix = "Use a whole number from 0 to 65535";
        string digits;
        if (value.ValueKind == JsonValueKind.Number)
        {
            digits = value.GetRawText();
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            // jsonpb accepts a uint32 in quotes; the inside must then be a JSON number.
            digits = value.GetString()!;
            if (digits.Length > 1 && digits[0] == '0')
            {
                _errors.Add(path, $"expected a port number but got {Describe(value)}", Fix);
                return 0;
            }
        }
        else
        {
            _errors.Add(path, $"expected a port number but got {Describe(value)}", Fix);
            return 0;
        }

        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            var negative = digits.StartsWith('-') && digits.Length > 1 && digits.Skip(1).All(char.IsAsciiDigit);
            var problem = negative ? $"port {digits} is out of range" : $"expected a port number but got {Describe(value)}";
            _errors.Add(path, problem, Fix);
            return 0;
        }

        if (digits.Length > 5 || int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) > 65535)
        {
            _errors.Add(path, $"port {digits} is out of range", Fix);
            return 0;
        }

        return int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private IEnumerable<(JsonElement Element, string Path)> GetArray(string field)
    {
        if (!TryGet(field, out var value))
        {
            yield break;
        }

        var path = PathOf(field);
        if (value.ValueKind != JsonValueKind.Array)
        {
            _errors.Add(path, $"expected a list but got {Describe(value)}", "Write the value as a JSON array: [ ... ]");
            yield break;
        }

        var index = 0;
        foreach (var element in value.EnumerateArray())
        {
            yield return (element, $"{path}[{index}]");
            index++;
        }
    }

    private bool TryGet(string field, out JsonElement value)
    {
        if (_fields.TryGetValue(field, out var entry) && entry.Value.ValueKind != JsonValueKind.Null)
        {
            value = entry.Value;
            return true;
        }

        value = default;
        return false;
    }
}
