using System.Net;
using System.Text.Json;
using Kedge.GoCompat;
using Kedge.Server.Authorization;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Forwarding;
using Kedge.Server.Hosting.GoFlags;
using Kedge.Server.Kubernetes;
using Kedge.Server.Management;
using Kedge.Server.Observability;
using Kedge.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Kedge.Server.Hosting;

/// <summary>Builds a kedge server: listeners, TLS, the proxy and the admin endpoints. Tests host it in-process.</summary>
public static class KedgeServerApp
{
    // A private object as the connection-item key: looked up on every request, and a reference is hashed for free.
    private static readonly object ListenerItem = new();
    private const string AdminListener = "admin";
    private const string ProxyListener = "proxy";
    internal const string GrpcListener = "grpc";
    private const string KestrelMeterName = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>Builds (does not start) a kedge server.</summary>
    /// <param name="settings">Listeners, TLS and timeouts.</param>
    /// <param name="configure">Further configuration of the host (logging, services) before it is built.</param>
    public static KedgeServer Build(KedgeServerSettings settings, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var settingsErrors = new List<string>();
        KedgeSettingsValidator.ValidateValues(KedgeSettingsReport.FromHost(settings), settingsErrors);
        if (settingsErrors.Count > 0)
        {
            throw new InvalidOperationException("Invalid kedge settings:\n  - " + string.Join("\n  - ", settingsErrors));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "kedge" });
        // Per-request framework logs cost more than the proxying itself; kedge reports its own errors.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // YARP logs every failed forward at Warning, whoever caused it (an adhoc destination kedge refuses, a caller that
        // went away). Kedge reports each failure itself (KedgeErrors: Debug for caller-caused, Warning otherwise), so
        // YARP's line would only repeat it, at the wrong level.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);
        // Hosting starts an Activity and a log scope for every request whenever its category is enabled at any level.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.SetMinimumLevel(GoLogLevel.ToLogLevel(settings.LogLevel));
        KedgeObservabilitySetup.AddLogging(builder, settings);
        var tracesEndpoint = KedgeObservabilitySetup.AddTracing(builder, settings);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.Services.AddSingleton(settings);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpForwarder();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(_ => HostRegistry.Create());
        builder.Services.AddSingleton<KedgeMetrics>();
        builder.Services.AddSingleton<KedgeErrors>();
        builder.Services.AddSingleton<KedgeRuntime>();
        builder.Services.AddSingleton<AdhocConnector>();
        builder.Services.AddSingleton<Tunnels.TunnelProxy>();
        builder.Services.AddSingleton<Tunnels.Http1TunnelEntry>();
        builder.Services.AddSingleton<KedgeProxyMiddleware>();
        builder.Services.AddSingleton<KedgeRequestTelemetry>();
        builder.Services.AddSingleton<Dashboard.DashboardCertificates>();
        builder.Services.AddSingleton<Dashboard.KedgeDashboard>();
        builder.Services.AddKedgeAuthentication(settings.Auth, TimeProvider.System);
        builder.Services.AddKedgeKubernetes();
        // Kestrel's meter counts what kedge never sees: connections it closed for protocol errors, bad requests or TLS
        // failures (kestrel_connection_duration_seconds{error_type}) and rejected connections. Per connection, not per request.
        // Its one per-request instrument (HTTP/2 streams queued) is left out: the proxy path records nothing per request
        // through a MeterListener. Only this host's instruments: the test process runs many kedges.
        builder.Services.AddSingleton(services =>
        {
            var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            return new MeterBridge(services.GetRequiredService<CollectorRegistry>(), instrument => instrument.Name != "kestrel.queued_requests"
                && HostRegistry.Owns(instrument, meterFactory, KedgeMetrics.MeterName, KestrelMeterName));
        });
        configure?.Invoke(builder);
        // After the caller's logging setup, so every sink (the console, a test's capture) is protected from floods.
        RateLimitedLoggerProvider.WrapAll(builder.Services);

        var listeners = new List<(string Name, ListenOptions Options)>();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            // Kedge.Client does the TLS to kedge itself and then speaks ":scheme http" over it.
            kestrel.AllowAlternateSchemes = true;
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = settings.HttpMaxReadTimeout;
            kestrel.Limits.MaxRequestBodySize = null;
            var bind = IPAddress.Parse(settings.BindAddress);
            if (settings.HttpTlsPort != 0 || settings.GrpcTlsPort != 0)
            {
                var tlsLogger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kedge.Server.Tls");
                var certificate = new ServerCertificateSource(settings.TlsCertFile!, settings.TlsKeyFile!, TimeProvider.System, tlsLogger);
                var clientCas = ClientCaSource.Create(settings.TlsClientCaFiles, TimeProvider.System, tlsLogger);
                var metrics = kestrel.ApplicationServices.GetRequiredService<KedgeMetrics>();
                metrics.TrackCertificate("server", () => certificate.Current.NotAfter.ToUniversalTime());
                var dashboardCertificates = kestrel.ApplicationServices.GetRequiredService<Dashboard.DashboardCertificates>();
                dashboardCertificates.Track("server", () => [certificate.Current]);
                if (clientCas is not null)
                {
                    metrics.TrackCertificate("client_ca", () => clientCas.GetCurrent().Certificates.Select(ca => (DateTimeOffset?)ca.NotAfter.ToUniversalTime()).Min());
                    dashboardCertificates.Track("client_ca", () => clientCas.GetCurrent().Certificates);
                }

                foreach (var (port, protocols, name) in TlsListeners(settings))
                {
                    kestrel.Listen(bind, KestrelPort(port), listen =>
                    {
                        listen.Protocols = protocols;
                        listen.Use(next => connection =>
                        {
                            connection.Items[ListenerItem] = name;
                            return next(connection);
                        });
                        listen.UseHttps(new HttpsConnectionAdapterOptions
                        {
                            ServerCertificateSelector = (_, _) => certificate.Current,
                            ClientCertificateMode = clientCas is null ? ClientCertificateMode.NoCertificate
                                : settings.TlsClientCertRequired ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate,
                            ClientCertificateValidation = (cert, chain, _) => clientCas is not null && ClientCaSource.Validate(cert, chain, clientCas.GetCurrent()),
                        });
                        if (name == ProxyListener)
                        {
                            // HTTP/1.1 CONNECT is taken off the connection before Kestrel's HTTP (which cannot tunnel it).
                            listen.Use(kestrel.ApplicationServices.GetRequiredService<Tunnels.Http1TunnelEntry>().Middleware);
                        }

                        listeners.Add((name, listen));
                    });
                }
            }

            if (settings.HttpPort != 0)
            {
                kestrel.Listen(settings.AdminBindAddress is { } admin ? IPAddress.Parse(admin) : bind, KestrelPort(settings.HttpPort), listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(next => connection =>
                    {
                        connection.Items[ListenerItem] = AdminListener;
                        return next(connection);
                    });
                    listeners.Add((AdminListener, listen));
                });
            }
        });

        var app = builder.Build();
        app.Services.GetRequiredService<MeterBridge>();
        KedgeObservabilitySetup.LogTracing(app, tracesEndpoint);
        // WebApplication adds UseAuthentication and UseAuthorization on its own when their services exist. Kedge needs
        // neither: KedgeAuthorizer authenticates with exactly the schemes a route's policy names, and no endpoint carries
        // [Authorize] metadata. Marking them as added keeps them (and the per-request service scope they create) off the
        // proxy path; measured at about 3% of kedge's CPU per proxied request.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        ((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
        var startupLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kedge.Server.Authorization");
        var authDescription = DescribeAuth(settings.Auth);
        app.Lifetime.ApplicationStarted.Register(() => KedgeServerLog.AuthorizationConfigured(startupLogger, authDescription));
        // The dashboard's uptime counts from here.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<Dashboard.KedgeDashboard>());
        app.MapWhen(IsAdmin, admin => ConfigureAdmin(admin, settings));
        // Kedge is the end of the pipeline: every request that is not for the admin port is proxied (or answered) here.
        var proxy = app.Services.GetRequiredService<KedgeRequestTelemetry>();
        app.Run(proxy.InvokeAsync);
        return new KedgeServer(app, listeners);
    }

    private static string DescribeAuth(KedgeAuthSettings auth) => auth.UsesStaticToken
        ? "a static bearer token (unsafe_bearer_token_proxy_auth) in Proxy-Authorization"
        : auth.UsesOidc
            ? $"OIDC ID tokens from {auth.OidcProviderUrl} for client '{auth.OidcClientId}' holding any of [{string.Join(", ", auth.OidcWhitelistPerms)}] in '{auth.OidcPermsClaim}'"
            : "none beyond the TLS client certificate check; routes without their own Authorization are open to every caller the TLS layer accepts";

    private static IEnumerable<(int Port, HttpProtocols Protocols, string Name)> TlsListeners(KedgeServerSettings settings)
    {
        if (settings.HttpTlsPort != 0)
        {
            yield return (settings.HttpTlsPort, HttpProtocols.Http1AndHttp2, ProxyListener);
        }

        if (settings.GrpcTlsPort != 0 && (settings.GrpcTlsPort != settings.HttpTlsPort || settings.GrpcTlsPort == KedgeServerSettings.AnyFreePort))
        {
            yield return (settings.GrpcTlsPort, HttpProtocols.Http2, GrpcListener);
        }
    }

    /// <summary>Whether the request came in on the gRPC-only port.</summary>
    internal static bool OnGrpcPort(HttpContext context)
        => context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerItem, out var name) == true && (string?)name == GrpcListener;

    private static int KestrelPort(int port) => port == KedgeServerSettings.AnyFreePort ? 0 : port;

    private static bool IsAdmin(HttpContext context)
        => context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerItem, out var name) == true && (string?)name == AdminListener;

    private static void ConfigureAdmin(IApplicationBuilder admin, KedgeServerSettings settings)
    {
        admin.Use(Dashboard.DashboardEndpoints.SecurityHeaders);
        admin.Use((context, next) => HttpMethods.IsConnect(context.Request.Method)
            ? context.RequestServices.GetRequiredService<KedgeErrors>().ReportAsync(context, Kedge.Common.KedgeErrorKind.MethodNotAllowed, "the admin port does not tunnel; send CONNECT to the TLS proxy port", backend: string.Empty, isGrpc: false)
            : next(context));
        admin.UseRouting();
        admin.UseEndpoints(endpoints =>
        {
            endpoints.MapGet("/_healthz", () => Results.Text("kedge isok", "text/plain"));
            endpoints.MapGet("/readyz", (KedgeRuntime runtime, Discovery.ServiceDiscovery discovery) => runtime.IsLoaded && discovery.IsReady
                ? Results.Text("ready", "text/plain")
                : Results.Text("configuration not loaded yet", "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable));
            endpoints.MapGet("/_version", () => Results.Json(new { build_version = typeof(KedgeServerApp).Assembly.GetName().Version?.ToString() ?? "unknown" }));
            var debug = endpoints.MapGroup("/debug");
            if (settings.Auth.ProtectDebugEndpoints && KedgePolicies.TokenDefault(settings.Auth) is { } debugPolicy)
            {
                // Go put the authorizer in front of every debug-server path, health included; only /debug/* is guarded here.
                debug.AddEndpointFilter(async (invocation, next) =>
                {
                    var context = invocation.HttpContext;
                    var outcome = await context.RequestServices.GetRequiredService<KedgeAuthorizer>().AuthorizeAsync(context, debugPolicy);
                    if (outcome.Allowed)
                    {
                        return await next(invocation);
                    }

                    await context.RequestServices.GetRequiredService<KedgeErrors>().ReportAsync(context, outcome.ErrorType, outcome.Message, backend: string.Empty, isGrpc: false);
                    return Results.Empty;
                });
            }

            var report = admin.ApplicationServices.GetService<KedgeSettingsReport>() ?? KedgeSettingsReport.FromHost(settings);
            debug.MapGet("/config", (KedgeRuntime runtime) => Results.Text(DebugConfig(runtime.Current, report), "application/json"));
            Dashboard.DashboardEndpoints.Map(debug);
            endpoints.MapMetrics(settings.MetricsPath, admin.ApplicationServices.GetRequiredService<CollectorRegistry>());
        });
    }

    private static string DebugConfig(KedgeSnapshot snapshot, KedgeSettingsReport report)
    {
        var view = new
        {
            Settings = report.ToJson(),
            snapshot.Options.HttpRoutes,
            snapshot.Options.GrpcRoutes,
            snapshot.Options.HttpAdhocRules,
            snapshot.Options.GrpcAdhocRules,
            snapshot.Options.TunnelRoutes,
            HttpBackends = snapshot.HttpBackends.Values.Select(b => new { b.Name, b.Options.Autogenerated, Tls = b.UsesTls, Endpoints = b.Endpoints.Select(e => e.Authority) }),
            GrpcBackends = snapshot.GrpcBackends.Values.Select(b => new { b.Name, b.Options.Autogenerated, Tls = b.UsesTls, Endpoints = b.Endpoints.Select(e => e.Authority) }),
        };
        return JsonSerializer.Serialize(view, DebugJson);
    }

    private static readonly JsonSerializerOptions DebugJson = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
}
