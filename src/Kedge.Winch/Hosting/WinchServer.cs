using System.Globalization;
using System.Net;
using Kedge.GoCompat;
using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Dashboard;
using Kedge.Winch.Internal;
using Kedge.Winch.Observability;
using Kedge.Winch.Pac;
using Kedge.Winch.Proxy;
using Kedge.Winch.Routing;
using Kedge.Winch.Tracing;
using Kedge.Winch.Tunnels;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Kedge.Telemetry;
using Prometheus;
using Yarp.ReverseProxy.Forwarder;

namespace Kedge.Winch.Hosting;

/// <summary>
/// winch's server: the HTTP proxy and the gRPC proxy on 127.0.0.1, and optionally a monitoring listener, over one
/// Kestrel host. Build it from checked <see cref="WinchSettings"/>, then start it.
/// </summary>
internal sealed class WinchServer : IAsyncDisposable
{
    private const string ListenerItem = "winch.listener";
    private const string HttpListener = "http";
    private const string GrpcListener = "grpc";
    private const string MonitoringListener = "monitoring";

    private readonly List<(string Name, ListenOptions Options)> _listeners;
    private readonly WinchAuthContext _authContext;
    private readonly WinchKedgeClients _clients;
    private readonly HttpClient _issuerClient;
    private string _pac = string.Empty;

    private WinchServer(WebApplication app, List<(string Name, ListenOptions Options)> listeners, WinchAuthContext authContext, WinchKedgeClients clients, HttpClient issuerClient, WinchSettings settings, int routeCount)
    {
        App = app;
        _listeners = listeners;
        _authContext = authContext;
        _clients = clients;
        _issuerClient = issuerClient;
        Settings = settings;
        RouteCount = routeCount;
    }

    public WebApplication App { get; }

    public WinchSettings Settings { get; }

    public int RouteCount { get; }

    /// <summary>The bound HTTP proxy port (known after start).</summary>
    public int HttpPort => Port(HttpListener);

    /// <summary>The bound gRPC proxy port (known after start).</summary>
    public int GrpcPort => Port(GrpcListener);

    /// <summary>The bound monitoring port, or 0 without <c>--server_http_monitoring_address</c>.</summary>
    public int MonitoringPort => Port(MonitoringListener);

    /// <summary>Builds winch; null after adding every problem (auth sources, routes) to <paramref name="errors"/>.</summary>
    public static WinchServer? Build(WinchSettings settings, List<string> errors, Action<WebApplicationBuilder>? configure = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "winch", Args = [] });
        builder.Logging.SetMinimumLevel(settings.DebugMode ? LogLevel.Debug : GoLogLevel.ToLogLevel(settings.LogLevel));

        // The proxy's per-request framework logs would drown winch's own.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Services.TryAddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.AddHttpForwarder();
        builder.Services.AddRouting();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(_ => HostRegistry.Create());
        builder.Services.AddSingleton<WinchMetrics>();
        builder.Services.AddSingleton(services =>
        {
            var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            return new MeterBridge(services.GetRequiredService<CollectorRegistry>(), instrument => HostRegistry.Owns(instrument, meterFactory, WinchMetrics.ClientMeterName));
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        configure?.Invoke(builder);
        WinchTelemetrySetup.ConfigureLogging(builder, settings);
        var errorsBefore = errors.Count;
        WinchTelemetrySetup.ConfigureTracing(builder, settings, errors);
        if (errors.Count > errorsBefore)
        {
            return null;
        }

        var monitoring = settings.MonitoringAddress.Length > 0 ? ParseEndPoint(settings.MonitoringAddress) : null;
        var listeners = new List<(string Name, ListenOptions Options)>();
        WinchConnectEntry? connectEntry = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = settings.HttpMaxReadTimeout;
            kestrel.Limits.MaxRequestBodySize = null;
            void Listen(IPEndPoint endPoint, HttpProtocols protocols, string name) => kestrel.Listen(endPoint, listen =>
            {
                listen.Protocols = protocols;
                listen.Use(next => connection =>
                {
                    connection.Items[ListenerItem] = name;
                    return next(connection);
                });
                if (name == HttpListener)
                {
                    // HTTPS_PROXY: an HTTP/1.1 CONNECT is taken off the connection before Kestrel's parser (which cannot tunnel it).
                    listen.Use(next => connection => connectEntry!.InvokeAsync(connection, next));
                }

                listeners.Add((name, listen));
            });

            // 127.0.0.1 only, whatever the flags say: winch adds credentials to whatever reaches it.
            Listen(new IPEndPoint(IPAddress.Loopback, settings.HttpPort), HttpProtocols.Http1, HttpListener);
            Listen(new IPEndPoint(IPAddress.Loopback, settings.GrpcPort), HttpProtocols.Http2, GrpcListener);
            if (monitoring is not null)
            {
                Listen(monitoring, HttpProtocols.Http1, MonitoringListener);
            }
        });

        var app = builder.Build();
        app.Services.GetRequiredService<MeterBridge>();
        var services = app.Services;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var clock = services.GetRequiredService<TimeProvider>();
        var logger = loggerFactory.CreateLogger("Kedge.Winch");
        if (settings.CorsAllowedOrigins.Contains("*"))
        {
            WinchLog.UnsafeSetting(logger, "--cors_allowed_origin=*", "every web page you visit can read internal services through winch with your credentials (winch adds them, so the browser's credential rules do not protect you); list the origins you need instead");
        }

        if (settings.ClientInsecure)
        {
            WinchLog.UnsafeSetting(logger, "--client_insecure", "kedge's certificate is not verified, so your tokens go to whoever answers at the kedge address");
        }

        var issuerClient = WinchAuthContext.CreateIssuerClient();
        var authContext = new WinchAuthContext(clock, issuerClient, loggerFactory.CreateLogger("Kedge.Winch.Auth"), settings.AuthTimeout);
        var auth = new AuthSourceFactory(settings.Config.AuthSources, authContext);
        var mappers = WinchMappers.Build(settings.Config.Routes, auth, errors);
        if (mappers is null)
        {
            issuerClient.Dispose();
            ((IDisposable)app).Dispose();
            return null;
        }

        WinchKedgeClients clients;
        try
        {
            clients = WinchKedgeClients.Create(settings, mappers, loggerFactory, clock, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures.Select(f => "client TLS: " + f));
            issuerClient.Dispose();
            ((IDisposable)app).Dispose();
            return null;
        }

        var metrics = services.GetRequiredService<WinchMetrics>();
        var forwarder = services.GetRequiredService<IHttpForwarder>();
        var recentErrors = new WinchRecentErrors(clock);
        var dashboard = new WinchDashboard(settings, auth, recentErrors, clock);
        var httpProxy = new WinchHttpProxy(forwarder, clients, settings, metrics, clock, loggerFactory, recentErrors);
        var grpcProxy = new WinchGrpcProxy(forwarder, clients, metrics, settings, loggerFactory, recentErrors);
        var tunnels = new WinchTunnels(new WinchTunnelOpener(clients.Http), loggerFactory.CreateLogger("Kedge.Winch.Tunnels"), clock);
        connectEntry = new WinchConnectEntry(tunnels, metrics, recentErrors, clock, settings.HttpMaxReadTimeout, services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        var server = new WinchServer(app, listeners, authContext, clients, issuerClient, settings, settings.Config.Routes.Count);

        app.Use(async (context, next) =>
        {
            var listener = ListenerOf(context);
            if (listener == GrpcListener)
            {
                await grpcProxy.ProxyAsync(context).ConfigureAwait(false);
                return;
            }

            // The dashboard is for this machine's browser only: no origin may read it, whatever --cors_allowed_origin allows.
            if (listener == HttpListener && !WinchDashboard.Serves(context) && WinchCors.Apply(context, settings.CorsAllowedOrigins))
            {
                return;
            }

            if (listener == HttpListener && !WinchHttpProxy.IsForWinch(context))
            {
                await httpProxy.ProxyAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        app.MapWhen(c => ListenerOf(c) == MonitoringListener, branch =>
        {
            branch.UseRouting();
            branch.UseEndpoints(endpoints => WinchLocalEndpoints.MapMonitoringEndpoints(endpoints, settings));
        });
        app.MapWhen(c => ListenerOf(c) == HttpListener, branch =>
        {
            branch.UseRouting();
            branch.UseEndpoints(endpoints =>
            {
                WinchLocalEndpoints.MapProxyPortEndpoints(endpoints, server.CurrentPac, auth, logger);
                dashboard.Map(endpoints);
                if (monitoring is null)
                {
                    WinchLocalEndpoints.MapMonitoringEndpoints(endpoints, settings);
                }
            });
        });

        return server;
    }

    /// <summary>Binds the listeners and starts serving.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await App.StartAsync(cancellationToken).ConfigureAwait(false);
        var winchHostPort = "127.0.0.1:" + HttpPort.ToString(CultureInfo.InvariantCulture);
        _authContext.WinchAddress = "http://" + winchHostPort;
        _pac = Settings.PacFile.Length > 0 ? string.Empty : PacFile.Render(winchHostPort, Settings.PacShExpressions);
        var logger = App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kedge.Winch");
        var grpcHostPort = "127.0.0.1:" + GrpcPort.ToString(CultureInfo.InvariantCulture);
        WinchLog.Started(logger, winchHostPort, grpcHostPort, RouteCount);
        if (MonitoringPort != 0)
        {
            WinchLog.MonitoringStarted(logger, Settings.MonitoringAddress);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await App.DisposeAsync().ConfigureAwait(false);
            _clients.Dispose();
            _issuerClient.Dispose();
        }
    }

    /// <summary>The PAC text: the generated one, or the <c>--pac_file</c> as it is now.</summary>
    private string CurrentPac() => Settings.PacFile.Length > 0 ? File.ReadAllText(Settings.PacFile) : _pac;

    private int Port(string name) => _listeners.Where(l => l.Name == name).Select(l => l.Options.IPEndPoint?.Port ?? 0).FirstOrDefault();

    private static string? ListenerOf(HttpContext context)
        => context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerItem, out var name) == true ? name as string : null;

    /// <summary>Parses <c>host:port</c> as Go's net.Listen takes it: an empty host is every interface.</summary>
    internal static IPEndPoint? ParseEndPoint(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return null;
        }

        var host = address[..colon].Trim('[', ']');
        if (host.Length == 0)
        {
            return new IPEndPoint(IPAddress.Any, port);
        }

        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : null;
    }
}
