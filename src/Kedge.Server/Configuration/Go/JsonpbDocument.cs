using System.Text.Json;

namespace Kedge.Server.Configuration.Go;

/// <summary>
/// Parses a Go config source as encoding/json (under jsonpb) does, and reads its top-level message; shared by kedge's
/// and winch's Go config readers. Errors go to the sink with the position and an example of the expected shape.
/// </summary>
internal static class JsonpbDocument
{
    /// <summary>The parsed document, or null after reporting the syntax error.</summary>
    public static JsonDocument? Parse(string json, GoConfigErrorSink sink, string example)
    {
        try
        {
            // encoding/json (under jsonpb) allows neither comments nor trailing commas.
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException exception)
        {
            var message = exception.Message;
            var positionAt = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (positionAt >= 0)
            {
                message = message[..positionAt];
            }

            var line = (exception.LineNumber ?? 0) + 1;
            var position = (exception.BytePositionInLine ?? 0) + 1;
            sink.Add(string.Empty, $"invalid JSON at line {line}, byte {position}: {message.TrimEnd('.', ' ')}", $"Fix the JSON syntax (no comments or trailing commas), for example {example}");
            return null;
        }
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
