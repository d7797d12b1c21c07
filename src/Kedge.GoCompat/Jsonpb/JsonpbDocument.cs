using System.Text.Json;
using Kedge.Common.Text;

namespace Kedge.GoCompat.Jsonpb;

/// <summary>
/// Parses a Go config source as encoding/json (under jsonpb) does, and reads its top-level message; shared by kedge's
/// and winch's Go config readers. Errors go to the sink with the position and an example of the expected shape.
/// </summary>
public static class JsonpbDocument
{
    /// <summary>The parsed document, or null after reporting the syntax error.</summary>
    public static JsonDocument? Parse(string json, GoConfigErrorSink sink, string example)
    {
        try
        {
            // encoding/json (under jsonpb) allows neither comments nor trailing commas.
            var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            var errorsBefore = sink.Count;
            CheckStrings(document.RootElement, string.Empty, sink);
            if (sink.Count == errorsBefore)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (JsonException exception)
        {
            var message = JsonSyntaxError.Reason(exception.Message);
            var line = (exception.LineNumber ?? 0) + 1;
            var position = (exception.BytePositionInLine ?? 0) + 1;
            sink.Add(string.Empty, $"invalid JSON at line {line}, byte {position}: {message}", $"Fix the JSON syntax (no comments or trailing commas), for example {example}");
            return null;
        }
    }

    /// <summary>
    /// Reports every string and field name that holds half of a UTF-16 surrogate pair (<c>"\ud800"</c>): JSON's grammar
    /// allows the escape, but System.Text.Json cannot read such a string, so once this passes every later read is safe.
    /// Go's encoding/json would silently read it as U+FFFD.
    /// </summary>
    private static void CheckStrings(JsonElement element, string path, GoConfigErrorSink sink)
    {
        const string Fix = "Write the character itself, or both halves of its surrogate pair (for example \\ud83d\\ude00)";
        switch (element.ValueKind)
        {
            case JsonValueKind.String when !IsReadable(() => element.GetString()):
                sink.Add(path, $"the string {element.GetRawText()} holds half of a UTF-16 surrogate pair", Fix);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckStrings(item, $"{path}[{index++}]", sink);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsReadable(() => property.Name))
                    {
                        sink.Add(path, $"field name {RawName(property)} holds half of a UTF-16 surrogate pair", Fix);
                        continue;
                    }

                    CheckStrings(property.Value, JsonpbMessage.Join(path, property.Name), sink);
                }

                break;
        }
    }

    private static bool IsReadable(Func<string?> read)
    {
        try
        {
            _ = read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The field name as written, escapes and all: the raw <c>"name": value</c> text up to the closing quote.</summary>
    private static string RawName(JsonProperty property)
    {
        var raw = property.ToString();
        for (var i = 1; i < raw.Length; i++)
        {
            if (raw[i] == '\\')
            {
                i++;
            }
            else if (raw[i] == '"')
            {
                return raw[..(i + 1)];
            }
        }

        return raw;
    }

    /// <summary>The top-level message, or null after reporting that the value is not an object.</summary>
    public static JsonpbMessage? ReadTopLevel(JsonElement root, JsonpbMessageType type, GoConfigErrorSink sink, string example)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            sink.Add(
                string.Empty,
                $"the top-level value must be a JSON object ({type.FullName}) but is {JsonpbMessage.Describe(root)}",
                $"Write the config as a JSON object, for example {example} (Go's binary proto form is not supported)");
            return null;
        }

        return JsonpbMessage.Read(root, string.Empty, type, sink);
    }
}
