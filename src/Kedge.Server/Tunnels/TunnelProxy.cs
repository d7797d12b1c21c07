using System.Net;
using System.Net.Sockets;
using Kedge.Common;
using Kedge.Server.Authorization;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Forwarding;
using Kedge.Server.Observability;
using Kedge.Server.Routing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Tunnels;

/// <summary>
/// CONNECT: TCP tunnels to the destinations a tunnel route or an adhoc rule allows, for all three forms (HTTP/1.1
/// CONNECT through <see cref="Http1TunnelEntry"/>, HTTP/2 CONNECT, extended CONNECT with <c>:protocol connect-tcp</c>).
/// One decision path: target → tunnel route (its authorization, its ports, its backend's balancer) → else the HTTP
/// adhoc rules → else the default authorization and NoRoute. Refusals go through <see cref="KedgeErrors"/>.
/// </summary>
internal sealed class TunnelProxy(KedgeErrors errors, KedgeMetrics metrics, KedgeAuthorizer authorizer, AdhocConnector adhoc, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<TunnelProxy> logger)
{
    /// <summary>The extended CONNECT protocol of a TCP tunnel (Kedge.Client sends it).</summary>
    public const string ConnectTcpProtocol = "connect-tcp";

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Whether the request is an extended CONNECT for a WebSocket (RFC 8441), which is routed as HTTP.</summary>
    public static bool IsWebSocket(HttpContext context)
        => context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);

    public async Task ProxyAsync(HttpContext context, KedgeSnapshot snapshot)
    {
        var http1 = context.Features.Get<Http1TunnelFeature>();
        var extended = context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } e ? e : null;
        if (Hosting.KedgeServerApp.OnGrpcPort(context))
        {
            context.Response.Headers.Allow = "POST";
            await errors.ReportAsync(context, KedgeErrorKind.MethodNotAllowed, "the gRPC port does not tunnel; send CONNECT to the TLS proxy port", backend: string.Empty, isGrpc: false);
            return;
        }

        if (http1 is null && !HttpProtocol.IsHttp2(context.Request.Protocol) && !HttpProtocol.IsHttp3(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
            await errors.ReportAsync(context, KedgeErrorKind.MethodNotAllowed, "an HTTP/1.1 CONNECT must be the first request on its connection; open a new connection for the tunnel", backend: string.Empty, isGrpc: false);
            return;
        }

        if (extended is not null && !string.Equals(extended.Protocol, ConnectTcpProtocol, StringComparison.OrdinalIgnoreCase))
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"extended CONNECT protocol '{extended.Protocol}' is not one kedge serves; use '{ConnectTcpProtocol}' for a TCP tunnel or 'websocket'", backend: string.Empty, isGrpc: false);
            return;
        }

        var authority = context.Request.Host.Value ?? string.Empty;
        if (!RequestTarget.TryParseAuthority(authority, out var host, out var port) || port == RequestTarget.NoPort || host.Length == 0)
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"malformed CONNECT target '{(authority.Length > 200 ? authority[..200] + "..." : authority)}': give host:port with a port from 1 to 65535", backend: string.Empty, isGrpc: false);
            return;
        }

        if (IPAddress.TryParse(host, out _))
        {
            await errors.ReportAsync(context, KedgeErrorKind.Forbidden, $"kedge does not tunnel to IP addresses ({host}); name the service as a tunnel route or adhoc rule claims it", backend: string.Empty, isGrpc: false);
            return;
        }

        var opened = snapshot.Routes.MatchTunnel(host) is { } route
            ? await OpenRouteAsync(context, snapshot, route, host, port)
            : await OpenAdhocAsync(context, snapshot, host, port, authority);
        if (opened is not { } tunnel)
        {
            return;
        }

        await using (tunnel.Backend)
        {
            await RelayAsync(context, http1, extended, tunnel);
        }
    }

    private async Task<OpenTunnel?> OpenRouteAsync(HttpContext context, KedgeSnapshot snapshot, TunnelRoute route, string host, int port)
    {
        if (!await AuthorizeAsync(context, route.Policy))
        {
            return null;
        }

        if (!route.AllowsPort(port))
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"tunnel: port {port} is not allowed for {host} (tunnel route '{route.MetricName}' allows {string.Join(", ", route.Ports)})", route.Backend, isGrpc: false);
            return null;
        }

        if (!snapshot.HttpBackends.TryGetValue(route.Backend, out var backend))
        {
            await errors.ReportAsync(context, KedgeErrorKind.NoBackend, $"unknown backend {route.Backend}", route.Backend, isGrpc: false);
            return null;
        }

        var request = Matched(context, route.MetricName, backend.Name, route.Stats ??= metrics.StatsFor(route.MetricName, backend.Name, "http"));
        var tried = new List<BackendEndpoint>();
        Exception? last = null;
        var pick = backend.Pick();
        while (pick.Endpoint is { } endpoint)
        {
            if (request is not null)
            {
                request.Endpoint = endpoint.Authority;
                request.Retries = tried.Count;
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                attempt.CancelAfter(AttemptTimeout);
                await socket.ConnectAsync(endpoint.Host, endpoint.Port, attempt.Token);
                return new OpenTunnel(new NetworkStream(socket, ownsSocket: true), route.MetricName, backend.Name);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
            {
                socket.Dispose();
                last = ex;
                // As for HTTP: an endpoint that refuses connections leaves the rotation for the backend's EjectFor.
                backend.Eject(endpoint, ex);
                KedgeServerLog.TunnelConnectFailed(logger, endpoint.Authority, backend.Name, ex.Message);
                tried.Add(endpoint);
                pick = backend.PickOther(tried);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (tried.Count > 0)
        {
            metrics.TunnelConnectFailed(route.MetricName, backend.Name);
            await errors.ReportAsync(context, KedgeErrorKind.NoConnectionToAllResolvedAddresses, $"tunnel: no connection to any endpoint of {backend.Name} ({string.Join(", ", tried)}): {last?.Message}", backend.Name, isGrpc: false);
            return null;
        }

        var (type, message) = pick.Failure == Backend.PickFailure.NoEndpoints
            ? (KedgeErrorKind.NoResolutionAvailable, $"lb: no backend is available for {backend.Name}. 0 resolved addresses.")
            : (KedgeErrorKind.NoConnectionToAllResolvedAddresses, $"lb: failed choosing valid target for {backend.Name}: all targets are failing, try later.");
        metrics.TunnelConnectFailed(route.MetricName, backend.Name);
        await errors.ReportAsync(context, type, message, backend.Name, isGrpc: false);
        return null;
    }

    /// <summary>No tunnel route: the HTTP adhoc rules decide as for HTTP requests (first name match; port must be allowed).</summary>
    private async Task<OpenTunnel?> OpenAdhocAsync(HttpContext context, KedgeSnapshot snapshot, string host, int port, string authority)
    {
        var adhocName = KedgeProxyMiddleware.AdhocBackendName;
        var rule = snapshot.Routes.MatchAdhoc(host, isGrpc: false);
        if (rule is null)
        {
            // Checked against the default first, so an unauthenticated caller learns nothing of the routes.
            if (await AuthorizeAsync(context, snapshot.Routes.DefaultPolicy))
            {
                await errors.ReportAsync(context, KedgeErrorKind.NoRoute, $"no tunnel route or adhoc rule claims {host}", backend: string.Empty, isGrpc: false);
            }

            return null;
        }

        if (!await AuthorizeAsync(context, rule.Policy))
        {
            return null;
        }

        if (!rule.AllowsPort(port))
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"adhoc: port {port} is not allowed", adhocName, isGrpc: false);
            return null;
        }

        var name = rule.NameToResolve(host);
        if (name is null)
        {
            await errors.ReportAsync(context, KedgeErrorKind.UnknownRouteError, $"adhoc: cannot resolve {authority} host: the replace pattern '{rule.ReplacePattern}' does not occur in the host; configuration error in {rule.Description}", adhocName, isGrpc: false, StatusCodes.Status502BadGateway);
            return null;
        }

        if (IPAddress.TryParse(name, out _))
        {
            await errors.ReportAsync(context, KedgeErrorKind.Forbidden, $"adhoc: {host} rewrites to the IP address {name}; kedge does not tunnel to IP addresses ({rule.Description})", adhocName, isGrpc: false);
            return null;
        }

        var request = Matched(context, adhocName, adhocName, metrics.StatsFor(adhocName, adhocName, "http"));
        if (request is not null)
        {
            request.Endpoint = $"{name}:{port}";
        }

        try
        {
            var stream = await adhoc.ConnectAsync(rule, name, port, authority, context.RequestAborted);
            return new OpenTunnel(stream, adhocName, adhocName);
        }
        catch (AdhocException refused)
        {
            if (refused.Type == KedgeErrorKind.NoConnectionToAllResolvedAddresses)
            {
                metrics.TunnelConnectFailed(adhocName, adhocName);
            }

            await errors.ReportAsync(context, refused.Type, refused.Message, adhocName, isGrpc: false, refused.HttpStatus);
            return null;
        }
    }

    private async Task RelayAsync(HttpContext context, Http1TunnelFeature? http1, IHttpExtendedConnectFeature? extended, OpenTunnel tunnel)
    {
        Stream callerIn;
        Stream callerOut;
        Func<Task> completeCaller;
        context.Response.StatusCode = StatusCodes.Status200OK;
        if (http1 is not null)
        {
            await Common.Http.Tunnels.Http1ConnectResponse.WriteEstablishedAsync(http1.Connection, context.RequestAborted);
            http1.Established = true;
            callerIn = callerOut = http1.Connection;
            completeCaller = static () => Task.CompletedTask;
        }
        else
        {
            // A quiet tunnel (an idle database connection) is not a slow request: no minimum data rates.
            DisableDataRates(context);
            if (extended is not null)
            {
                var stream = await extended.AcceptAsync();
                callerIn = callerOut = stream;
                completeCaller = () => context.Response.CompleteAsync();
            }
            else
            {
                await context.Response.StartAsync(context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                callerIn = context.Request.Body;
                callerOut = context.Response.Body;
                completeCaller = () => context.Response.CompleteAsync();
            }
        }

        var started = time.GetTimestamp();
        metrics.TunnelOpened(tunnel.Route, tunnel.BackendName);
        var target = logger.IsEnabled(LogLevel.Debug) ? KedgeErrors.Printable(context.Request.Host.Value ?? string.Empty) : string.Empty;
        KedgeServerLog.TunnelOpened(logger, target, tunnel.Route, tunnel.BackendName);
        var reason = TunnelCloseReason.Error;
        try
        {
            reason = await TunnelRelay.RunAsync(callerIn, callerOut, completeCaller, tunnel.Backend, metrics, tunnel.Route, tunnel.BackendName, lifetime.ApplicationStopping, context.RequestAborted);
        }
        finally
        {
            var duration = time.GetElapsedTime(started);
            metrics.TunnelClosed(tunnel.Route, tunnel.BackendName, reason, duration);
            KedgeServerLog.TunnelClosed(logger, target, tunnel.Route, reason, duration.TotalSeconds);
        }
    }

    private static void DisableDataRates(HttpContext context)
    {
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } input)
        {
            input.MinDataRate = null;
        }

        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } output)
        {
            try
            {
                output.MinDataRate = null;
            }
            catch (NotSupportedException)
            {
                // HTTP/2 applies the connection's response rate; it cannot be changed per stream.
            }
        }
    }

    private static KedgeRequestFeature? Matched(HttpContext context, string route, string backend, RequestStats stats)
    {
        if (context.Features.Get<KedgeRequestFeature>() is { } request)
        {
            request.Route = route;
            request.Backend = backend;
            request.Stats = stats;
            return request;
        }

        return null;
    }

    private async ValueTask<bool> AuthorizeAsync(HttpContext context, AuthorizationPolicy? policy)
    {
        if (policy is null)
        {
            return true;
        }

        var outcome = await authorizer.AuthorizeAsync(context, policy);
        if (outcome.Allowed)
        {
            return true;
        }

        await errors.ReportAsync(context, outcome.ErrorType, outcome.Message, backend: string.Empty, isGrpc: false);
        return false;
    }

    private readonly record struct OpenTunnel(Stream Backend, string Route, string BackendName);
}
