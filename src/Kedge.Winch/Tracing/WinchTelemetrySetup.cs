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
        });
    }

    /// <summary>
    /// Exports traces over OTLP when an endpoint is set (<c>--otlp_endpoint</c>, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
    /// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>); otherwise no TracerProvider exists and callers' <c>traceparent</c> passes
    /// through winch unchanged. The SDK reads the other OTEL_* settings itself (protocol, headers, sampler, resource).
    /// </summary>
    /// <returns>Whether traces are exported.</returns>
    public static bool ConfigureTracing(WebApplicationBuilder builder, WinchSettings settings)
    {
        var configuration = builder.Configuration;
        if (settings.OtlpEndpoint.Length == 0
            && string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            && string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]))
        {
            return false;
        }

        builder.Services.AddOpenTelemetry()
            // The default name goes first so that the environment's service.name, read after it, wins.
            .ConfigureResource(resource => resource.Clear().AddService(DefaultServiceName).AddTelemetrySdk().AddEnvironmentVariableDetector())
            .WithTracing(tracing => tracing
                .AddSource(WinchTracing.SourceName, KedgeClientDiagnostics.ActivitySourceName, "System.Net.Http")
                .AddOtlpExporter(otlp =>
                {
                    if (settings.OtlpEndpoint.Length > 0)
                    {
                        otlp.Endpoint = new Uri(settings.OtlpEndpoint);
                    }
                }));
        return true;
    }
}
