using System.Text.Json.Serialization;

namespace Kedge.Server.Configuration.Go;

/// <summary>
/// Source-generated serialization of <see cref="KedgeServerOptions"/> in the shape the configuration binder reads:
/// PascalCase property names, enums as names, nulls left out.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(KedgeServerOptions))]
internal sealed partial class NativeConfigJsonContext : JsonSerializerContext;
