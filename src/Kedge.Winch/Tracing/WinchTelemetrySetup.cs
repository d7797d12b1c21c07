using Kedge.Client;
using Kedge.Winch.Commands;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kedge.Winch.Tracing;

/// <summary>winch's logging format and OpenTelemetry trace export, from the flags and the standard OTEL_* variables.</summary>
internal static class WinchTelemetrySetup
{
    /// <summary>The default <c>service.name</c>; <c>OTEL_SERVICE_NAME</c> or <c>OTEL_RESOURCE_ATTRIBUTES</c> override it.</summary>
    public const string DefaultServiceName = "winch";

    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private const string OtlpTracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary><c>--log_format=json</c>: one JSON object per line, with the trace and span ids of the current activity in its scopes.</summary>
    public static void ConfigureLogging(WebApplicationBuilder builder, WinchSettings settings)
    {
        if (settings.LogFormat != WinchFlags.LogFormatJson)
        {
            return;
        }

        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Logging.AddConsole(o => o.FormatterName = ConsoleFormatterNames.Json);
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            // As kedge's: log readers, not browsers, read it; quotes and '+' stay readable and the line is still valid JSON.
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
    }

    /// <summary>
    /// Exports traces over OTLP when an endpoint is set (<c>--otlp_endpoint</c>, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
    /// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>); otherwise no TracerProvider exists and callers' <c>traceparent</c> passes
    /// through winch unchanged. The SDK reads the other OTEL_* settings itself (protocol, headers, sampler, resource).
    /// </summary>
    /// <returns>Whether traces are exported; false also when an endpoint is invalid, with the reason in <paramref name="errors"/>.</returns>
    public static bool ConfigureTracing(WebApplicationBuilder builder, WinchSettings settings, List<string> errors)
    {
        var configuration = builder.Configuration;
        if (settings.OtlpEndpoint.Length > 0)
        {
            // As kedge's otlp_endpoint: as if OTEL_EXPORTER_OTLP_ENDPOINT were set, a base URL (http/protobuf appends
            // /v1/traces). An endpoint set on the exporter's options in code would be used as is.
            configuration.AddInMemoryCollection([new(OtlpEndpointVariable, settings.OtlpEndpoint)]);
        }

        var valid = true;
        foreach (var variable in new[] { OtlpEndpointVariable, OtlpTracesEndpointVariable })
        {
            var value = configuration[variable];
            if (!string.IsNullOrWhiteSpace(value)
                && (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                errors.Add($"{variable}: \"{Shown(value)}\" is not an http:// or https:// URL; give the collector's OTLP address, for example http://127.0.0.1:4317, or unset it");
                valid = false;
            }
        }

        if (!valid
            || (string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]) && string.IsNullOrWhiteSpace(configuration[OtlpTracesEndpointVariable])))
        {
            return false;
        }

        builder.Services.AddOpenTelemetry()
            // The default name goes first so that the environment's service.name, read after it, wins.
            .ConfigureResource(resource => resource.Clear().AddService(DefaultServiceName).AddTelemetrySdk().AddEnvironmentVariableDetector())
            .WithTracing(tracing => tracing
                .AddSource(WinchTracing.SourceName, KedgeClientDiagnostics.ActivitySourceName, "System.Net.Http")
                .AddOtlpExporter());
        return true;
    }

    /// <summary>An endpoint as errors show it: without whatever precedes an '@', which may be credentials.</summary>
    public static string Shown(string endpoint)
    {
        var at = endpoint.LastIndexOf('@');
        return at < 0 ? endpoint : "…" + endpoint[at..];
    }
}
