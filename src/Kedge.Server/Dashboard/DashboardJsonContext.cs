using System.Text.Json.Serialization;

namespace Kedge.Server.Dashboard;

/// <summary>The dashboard state's JSON, generated at build time (camelCase, nulls written so the page sees every field).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DashboardView))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
