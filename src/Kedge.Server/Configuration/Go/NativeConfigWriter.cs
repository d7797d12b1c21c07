using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kedge.Server.Configuration.Go;

/// <summary>
/// Writes <see cref="KedgeServerOptions"/> as native configuration JSON (<c>{ "Kedge": { ... } }</c>), for
/// <c>--print-config</c>: the output can be saved as <c>appsettings.json</c> and reads back to the same options.
/// </summary>
internal static class NativeConfigWriter
{
    /// <summary>The configuration section the options live in.</summary>
    public const string SectionName = "Kedge";

    /// <summary>
    /// Serializes <paramref name="options"/> under <see cref="SectionName"/>: PascalCase property names, enums as
    /// names (<c>"ReverseProxy"</c>), null properties left out, indented, ending with a newline. Characters such as
    /// <c>+</c> or <c>&amp;</c> are written as they are (the output is a file for people, not HTML).
    /// </summary>
    public static string ToNativeJson(KedgeServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(SectionName);
            JsonSerializer.Serialize(writer, options, NativeConfigJsonContext.Default.KedgeServerOptions);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }
}
