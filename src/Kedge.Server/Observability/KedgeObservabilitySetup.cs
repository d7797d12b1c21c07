using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kedge.Server.Observability;

/// <summary>kedge's logging format, access log and tracing, from its settings and the standard OpenTelemetry variables.</summary>
internal static class KedgeObservabilitySetup
{
    /// <summary>The standard variable that turns exporting on; the SDK reads it (and every other OTEL_* variable) itself.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private const string OtlpTracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary><c>log_format</c> and <c>access_log</c>.</summary>
    public static void AddLogging(WebApplicationBuilder builder, KedgeServerSettings settings)
    {
        if (string.Equals(settings.LogFormat, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                // Log readers, not browsers: quotes and '+' stay readable (\" instead of \u0022); the output is still valid JSON.
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            });
            // The scopes of a line logged while a span is current then carry its TraceId and SpanId.
            builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        }

        // Opt-in, so it is written whatever log_level says; off, its category is silenced outright.
        builder.Logging.AddFilter(KedgeServerLog.AccessLogCategory, settings.AccessLog ? LogLevel.Information : LogLevel.None);
    }

    /// <summary>
    /// A TracerProvider for the <c>Kedge.Server</c> source exporting over OTLP, only when an endpoint is set
    /// (<c>otlp_endpoint</c>, or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>/<c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>). Without one,
    /// nothing listens to the source: no span is created and the caller's trace headers pass through untouched.
    /// </summary>
    /// <returns>The endpoint traces go to, or null when tracing is off.</returns>
    public static string? AddTracing(WebApplicationBuilder builder, KedgeServerSettings settings)
    {
        if (!string.IsNullOrEmpty(settings.OtlpEndpoint))
        {
            // As if OTEL_EXPORTER_OTLP_ENDPOINT were set: the exporter reads it from configuration, with the same meaning
            // (a base URL; OTEL_EXPORTER_OTLP_PROTOCOL picks gRPC or HTTP, which appends /v1/traces).
            builder.Configuration.AddInMemoryCollection([new(OtlpEndpointVariable, settings.OtlpEndpoint)]);
        }

        // The SDK ignores an endpoint it cannot parse and sends to localhost:4317 instead: refuse to start, as for otlp_endpoint.
        var errors = EndpointErrors(builder.Configuration);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid kedge settings:\n  - " + string.Join("\n  - ", errors));
        }

        // Precedence, the SDK's: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, then otlp_endpoint, then OTEL_EXPORTER_OTLP_ENDPOINT.
        var endpoint = FirstSet(builder.Configuration[OtlpTracesEndpointVariable], builder.Configuration[OtlpEndpointVariable]);
        if (endpoint is null)
        {
            return null;
        }

        var version = typeof(KedgeObservabilitySetup).Assembly.GetName().Version?.ToString();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            // service.name defaults to kedge; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, added after, win over it.
            .ConfigureResource(resource => resource.Clear().AddService("kedge", serviceVersion: version).AddTelemetrySdk().AddEnvironmentVariableDetector())
            // Kedge.Server only. System.Net.Http's client span would add little (the server span names the endpoint, and
            // each retry and ejection is an event on it) and cost much: with a listener, every HttpClient call kedge makes
            // outside a request (Kubernetes watches, OIDC key fetches) gets an activity and an unsampled traceparent even
            // when the sampler drops it. The backend's span is the child of kedge's server span.
            .AddSource(KedgeTracing.SourceName)
            .AddOtlpExporter());
        return WithoutUserInfo(endpoint);
    }

    /// <summary>The OTLP endpoint variables set to something other than an http(s) URL, each named with its fix.</summary>
    internal static List<string> EndpointErrors(IConfiguration configuration)
    {
        var errors = new List<string>();
        foreach (var variable in (string[])[OtlpTracesEndpointVariable, OtlpEndpointVariable])
        {
            var value = configuration[variable];
            if (!string.IsNullOrWhiteSpace(value)
                && (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
            {
                errors.Add($"{variable} (environment): '{WithoutUserInfo(value)}' is not an http(s) URL; give the collector's OTLP endpoint, for example http://otel-collector:4317, or unset it.");
            }
        }

        return errors;
    }

    /// <summary>The endpoint as it may be logged: a user name and password in it are left out.</summary>
    internal static string WithoutUserInfo(string endpoint)
    {
        if (Uri.TryCreate(endpoint, UriKind.Absolute, out var url) && url.UserInfo.Length > 0)
        {
            return new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri.ToString();
        }

        var at = endpoint.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? endpoint : endpoint[(at + 1)..];
    }

    /// <summary>Logs where traces go, once the host has started.</summary>
    public static void LogTracing(WebApplication app, string? endpoint)
    {
        if (endpoint is null)
        {
            return;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kedge.Server.Tracing");
        app.Lifetime.ApplicationStarted.Register(() => KedgeServerLog.TracingEnabled(logger, KedgeTracing.SourceName, endpoint));
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
