using System.Net;
using System.Net.Sockets;
using DnsClient;
using Kedge.Common;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Forwarding;

/// <summary>
/// Connections for adhoc rules: one pooled handler for every adhoc destination (Go dialled per gRPC call), plain HTTP
/// (h2c for gRPC) as in Go, never through an environment proxy. The name is resolved when a connection is opened; every
/// address is tried in turn (Go used the first), and addresses in reserved ranges are refused unless the rule allows
/// them.
/// </summary>
internal sealed class AdhocConnector : IDisposable
{
    /// <summary>The rule a request is proxied under, for the connect callback.</summary>
    public static readonly HttpRequestOptionsKey<AdhocRule> RuleOption = new("kedge.adhoc-rule");

    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private readonly LookupClient? _dns;
    private readonly SocketsHttpHandler _handler;

    public AdhocConnector(KedgeServerSettings settings)
    {
        if (settings.DnsServers.Count > 0)
        {
            var servers = settings.DnsServers.Select(s => IPEndPoint.TryParse(s, out var endpoint) && endpoint.Port != 0 ? endpoint : new IPEndPoint(IPAddress.Parse(s), 53)).ToArray();
            _dns = new LookupClient(new LookupClientOptions(servers) { UseCache = true, Timeout = TimeSpan.FromSeconds(2), Retries = 1 });
        }

        // Connections are checked against the rules when opened; a bounded lifetime makes a reload that narrows a
        // rule, and DNS changes, take effect on busy connections too.
        _handler = Backends.BackendHandlerFactory.CreateProxyHandler(connectTimeout: null, pooledConnectionLifetime: TimeSpan.FromMinutes(1));
        _handler.ConnectCallback = ConnectAsync;
        Invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
    }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>The destination prefix for <paramref name="name"/>: connections are pooled per resolved name and port.</summary>
    public static string DestinationPrefix(string name, int port)
        => $"http://{(name.Contains(':', StringComparison.Ordinal) ? "[" + name + "]" : name)}:{port}";

    public void Dispose()
    {
        Invoker.Dispose();
        _handler.Dispose();
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.InitialRequestMessage.Options.TryGetValue(RuleOption, out var rule))
        {
            throw new InvalidOperationException("An adhoc request must carry its rule.");
        }

        var name = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        // Go names the authority the caller wrote ("cannot resolve svc.pods:8080 host"); the request that opens the
        // connection carries it as its Host.
        return await ConnectAsync(rule, name, port, context.InitialRequestMessage.Headers.Host ?? $"{name}:{port}", cancellationToken);
    }

    /// <summary>
    /// Resolves <paramref name="name"/>, keeps the addresses <paramref name="rule"/> may reach, and connects to the first
    /// that answers. Used by adhoc HTTP requests (through the handler's connect callback) and adhoc tunnels. Refusals and
    /// failures are <see cref="AdhocException"/>s carrying the error type and status to answer with.
    /// </summary>
    /// <param name="rule">The adhoc rule that claimed the name.</param>
    /// <param name="name">The name to resolve (after the rule's rewrite).</param>
    /// <param name="port">The port to connect to.</param>
    /// <param name="authority">The authority the caller wrote, for messages.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away.</param>
    public async Task<Stream> ConnectAsync(AdhocRule rule, string name, int port, string authority, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(name, authority, cancellationToken);
        var allowed = addresses.Where(rule.MayConnect).ToList();
        if (allowed.Count == 0)
        {
            throw new AdhocException(KedgeErrorKind.Forbidden, StatusCodes.Status403Forbidden,
                $"adhoc: {name} resolves only to addresses kedge refuses ({string.Join(", ", addresses)}: loopback, link-local or unspecified); an operator can allow a network with AllowedReservedNetworks on {rule.Description}");
        }

        Exception? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(AttemptTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, port), attempt.Token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new AdhocException(KedgeErrorKind.NoConnectionToAllResolvedAddresses, StatusCodes.Status502BadGateway,
            $"adhoc: no connection to any address of {name}:{port} ({string.Join(", ", allowed)}): {last?.Message}");
    }

    private async Task<IReadOnlyList<IPAddress>> ResolveAsync(string name, string authority, CancellationToken cancellationToken)
    {
        try
        {
            IPAddress[] addresses;
            if (_dns is null)
            {
                addresses = await Dns.GetHostAddressesAsync(name, cancellationToken);
            }
            else
            {
                var v4 = await _dns.QueryAsync(name, QueryType.A, cancellationToken: cancellationToken);
                var v6 = await _dns.QueryAsync(name, QueryType.AAAA, cancellationToken: cancellationToken);
                addresses = [.. v4.Answers.ARecords().Select(r => r.Address), .. v6.Answers.AaaaRecords().Select(r => r.Address)];
            }

            return addresses.Length > 0 ? addresses
                : throw new AdhocException(KedgeErrorKind.UnknownRouteError, StatusCodes.Status502BadGateway, $"adhoc: cannot resolve {authority} host: did not find any A records for host {name}");
        }
        catch (Exception ex) when (ex is SocketException or DnsResponseException)
        {
            throw new AdhocException(KedgeErrorKind.UnknownRouteError, StatusCodes.Status502BadGateway, $"adhoc: cannot resolve {authority} host: {ex.Message}");
        }
    }
}
