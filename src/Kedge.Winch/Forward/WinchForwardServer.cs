using System.IO.Pipelines;
using Kedge.GoCompat;
using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Internal;
using Kedge.Winch.Proxy;
using Kedge.Winch.Routing;
using Kedge.Winch.Tracing;
using Kedge.Winch.Tunnels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kedge.Winch.Forward;

/// <summary>
/// <c>winch forward</c>: each <c>--listen</c> address is a Kestrel listener whose connections are not HTTP but raw
/// bytes, each carried in its own tunnel through the kedge winch's HTTP routes map the target to (the same client
/// certificate, trust and proxy tokens as winch's HTTP proxy). Loopback addresses only.
/// </summary>
internal sealed class WinchForwardServer : IAsyncDisposable
{
    private const string Source = "winch forward";

    private readonly List<(WinchForwardSpec Spec, ListenOptions Options)> _listeners;
    private readonly WinchKedgeClients _clients;
    private readonly HttpClient _issuerClient;

    private WinchForwardServer(WebApplication app, List<(WinchForwardSpec Spec, ListenOptions Options)> listeners, WinchKedgeClients clients, HttpClient issuerClient)
    {
        App = app;
        _listeners = listeners;
        _clients = clients;
        _issuerClient = issuerClient;
    }

    public WebApplication App { get; }

    /// <summary>Each forward and the port it is bound to (known after start).</summary>
    public IReadOnlyList<(WinchForwardSpec Spec, int Port)> Forwards => [.. _listeners.Select(l => (l.Spec, l.Options.IPEndPoint?.Port ?? 0))];

    /// <summary>Builds the forwards; null after adding every problem (auth sources, routes, unmapped targets) to <paramref name="errors"/>.</summary>
    public static WinchForwardServer? Build(WinchSettings settings, IReadOnlyList<WinchForwardSpec> forwards, List<string> errors, Action<WebApplicationBuilder>? configure = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "winch", Args = [] });
        builder.Logging.SetMinimumLevel(settings.DebugMode ? LogLevel.Debug : GoLogLevel.ToLogLevel(settings.LogLevel));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.TryAddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        configure?.Invoke(builder);
        WinchTelemetrySetup.ConfigureLogging(builder, settings);

        var listeners = new List<(WinchForwardSpec Spec, ListenOptions Options)>();
        WinchTunnels? tunnels = null;
        IHostApplicationLifetime? lifetime = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var forward in forwards)
            {
                kestrel.Listen(forward.EndPoint, listen =>
                {
                    listen.Protocols = HttpProtocols.None;
                    listen.Run(connection => ForwardAsync(forward, connection, tunnels!, lifetime!.ApplicationStopping));
                    listeners.Add((forward, listen));
                });
            }
        });

        var app = builder.Build();
        var services = app.Services;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var clock = services.GetRequiredService<TimeProvider>();
        var logger = loggerFactory.CreateLogger("Kedge.Winch.Forward");
        if (settings.ClientInsecure)
        {
            WinchLog.UnsafeSetting(logger, "--client_insecure", "kedge's certificate is not verified, so your tokens go to whoever answers at the kedge address");
        }

        var issuerClient = WinchAuthContext.CreateIssuerClient();
        var authContext = new WinchAuthContext(clock, issuerClient, loggerFactory.CreateLogger("Kedge.Winch.Auth"), settings.AuthTimeout)
        {
            // winch forward serves no HTTP: a source that needs a browser login is logged in through a running winch.
            WinchAddress = "http://127.0.0.1:" + (settings.HttpPort == 0 ? 8070 : settings.HttpPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var auth = new AuthSourceFactory(settings.Config.AuthSources, authContext);
        var mappers = WinchMappers.Build(settings.Config.Routes, auth, errors);
        WinchKedgeClients? clients = null;
        if (mappers is not null)
        {
            try
            {
                clients = WinchKedgeClients.Create(settings, mappers, loggerFactory, clock, meterFactory: null);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                errors.AddRange(ex.Failures.Select(f => "client TLS: " + f));
            }
        }

        if (clients is not null)
        {
            CheckTargets(forwards, clients, errors);
        }

        if (clients is null || errors.Count > 0)
        {
            clients?.Dispose();
            issuerClient.Dispose();
            ((IDisposable)app).Dispose();
            return null;
        }

        tunnels = new WinchTunnels(new WinchTunnelOpener(clients.Http), logger, clock);
        lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        return new WinchForwardServer(app, listeners, clients, issuerClient);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await App.StartAsync(cancellationToken).ConfigureAwait(false);
        var logger = App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kedge.Winch.Forward");
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        foreach (var (spec, port) in Forwards)
        {
            var listening = new System.Net.IPEndPoint(spec.EndPoint.Address, port).ToString();
            WinchTunnelLog.ForwardListening(logger, listening, spec.Target);
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

    /// <summary>A target no HTTP route maps would fail every connection; say so at start instead.</summary>
    private static void CheckTargets(IReadOnlyList<WinchForwardSpec> forwards, WinchKedgeClients clients, List<string> errors)
    {
        foreach (var forward in forwards)
        {
            try
            {
                var route = clients.Http.Mapper.Map(forward.Target.Host, forward.Target.Port);
                if (route is null)
                {
                    errors.Add($"--{WinchForwardSpec.ListenFlag} {forward.Listen}: no route of the mapper config maps {forward.Target}; add a route for it (winch tunnels only through kedge)");
                }
                else if (!route.UsesTls)
                {
                    errors.Add($"--{WinchForwardSpec.ListenFlag} {forward.Listen}: {forward.Target} maps to the plain-text kedge {route.KedgeUrl}; kedge accepts tunnels on its TLS port only, so give the route an https:// kedge URL");
                }
            }
            catch (Kedge.Client.Mapping.KedgeMappingException ex)
            {
                errors.Add($"--{WinchForwardSpec.ListenFlag} {forward.Listen}: {forward.Target} cannot be mapped: {ex.Message}");
            }
        }
    }

    private static async Task ForwardAsync(WinchForwardSpec forward, ConnectionContext connection, WinchTunnels tunnels, CancellationToken stopping)
    {
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(stopping, connection.ConnectionClosed);
        Stream? tunnel;
        try
        {
            (tunnel, _) = await tunnels.OpenAsync(Source, forward.Target, connection.ConnectionId, opening.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (opening.IsCancellationRequested)
        {
            return; // the caller left, or winch is stopping
        }

        if (tunnel is null)
        {
            // Refused or failed (logged): closing the connection is all a raw TCP caller can be told.
            return;
        }

        var transport = connection.Transport;
        await tunnels.CarryAsync(
            Source,
            forward.Target,
            connection.ConnectionId,
            tunnel,
            transport.Input.AsStream(leaveOpen: true),
            transport.Output.AsStream(leaveOpen: true),
            () => transport.Output.CompleteAsync(),
            stopping).ConfigureAwait(false);
    }
}
