using System.Globalization;
using System.Net.Sockets;
using DnsClient;
using Kedge.Common.Checks;
using Kedge.Server.Backends;
using Kedge.Server.Configuration;
using Kedge.Server.Management;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kedge.Server.Checks;

/// <summary>
/// The check of one backend: resolve it as kedge would (the DNS resolvers kedge builds, the static list, the
/// EndpointSlices), then probe every endpoint in parallel. Its lines: the resolution, one line per endpoint that fails
/// (or warns), and one line for the endpoints that answer.
/// </summary>
internal sealed class BackendCheck
{
    private readonly KedgeCheckContext _context;
    private readonly BackendOptions _options;
    private readonly bool _isGrpc;
    private readonly SemaphoreSlim _probes;

    public BackendCheck(KedgeCheckContext context, BackendOptions options, bool isGrpc, SemaphoreSlim probes)
    {
        _context = context;
        _options = options;
        _isGrpc = isGrpc;
        _probes = probes;
        LineName = (isGrpc ? "gRPC backend '" : "backend '") + options.Name + "'";
    }

    /// <summary>The name of the backend's lines: <c>backend 'orders'</c> (HTTP) or <c>gRPC backend 'users'</c>.</summary>
    public string LineName { get; }

    /// <summary>Where the backend is configured, for fixes: <c>backend 'orders' in kedge.json</c>.</summary>
    public string Where => $"{LineName} in {_context.RoutingSource}";

    /// <summary>How the backend resolves, as its lines name it: <c>dns orders.internal:8080</c>, <c>srv _http._tcp.web</c>, <c>static</c>, <c>k8s orders.shop:http</c>.</summary>
    public string Resolver => _options switch
    {
        { Host: { } host } => string.Create(CultureInfo.InvariantCulture, $"dns {host.DnsName}:{host.Port}"),
        { Srv: { } srv } => $"srv {srv.DnsName}" + (srv.PortOverride != 0 ? string.Create(CultureInfo.InvariantCulture, $" (port {srv.PortOverride})") : string.Empty),
        { K8s: { } k8s } => $"k8s {k8s.DnsPortName}",
        _ => "static",
    };

    public async Task<IReadOnlyList<CheckResult>> RunAsync(CancellationToken cancellationToken)
    {
        var (endpoints, resolution) = await ResolveAsync(cancellationToken);
        if (endpoints is null || endpoints.Count == 0)
        {
            return [resolution];
        }

        var target = EndpointProbeTarget.Create(_context, _options, _isGrpc, LineName, Where);
        try
        {
            var probed = await Task.WhenAll(endpoints.Select(e => ProbeAsync(target, e, cancellationToken)));
            var lines = new List<CheckResult> { resolution };
            lines.AddRange(probed.Where(p => p.Status != CheckStatus.Pass));
            var answered = probed.Where(p => p.Status == CheckStatus.Pass).ToList();
            if (answered.Count > 0)
            {
                var of = answered.Count == probed.Length ? $"all {probed.Length}" : $"{answered.Count} of {probed.Length}";
                lines.Add(CheckResult.Pass(BackendChecks.Area, LineName + " endpoints",
                    $"{of} answer ({target.Checked}): {string.Join(", ", answered.Select(a => a.Found))}"));
            }

            return lines;
        }
        finally
        {
            target.Dispose();
        }
    }

    private async Task<CheckResult> ProbeAsync(EndpointProbeTarget target, BackendEndpoint endpoint, CancellationToken cancellationToken)
    {
        await _probes.WaitAsync(cancellationToken);
        try
        {
            return await EndpointProbe.RunAsync(target, endpoint, _context.Timeout, cancellationToken);
        }
        finally
        {
            _probes.Release();
        }
    }

    private async Task<(IReadOnlyList<BackendEndpoint>? Endpoints, CheckResult Line)> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_options.K8s is not null)
        {
            return await KubernetesBackendResolution.ResolveAsync(this, _options, _context, cancellationToken);
        }

        if (_options.Static is { } fixedList)
        {
            var endpoints = fixedList.Addresses.Select(StaticResolver.Parse).Distinct().ToList();
            return endpoints.Count == 0
                ? (endpoints, CheckResult.Fail(BackendChecks.Area, LineName, "static: the list of addresses is empty", $"add 'host:port' addresses to {Where}"))
                : (endpoints, CheckResult.Pass(BackendChecks.Area, LineName, $"{Resolver}: {Addresses(endpoints)}"));
        }

        // The resolver kedge builds for this backend, with kedge's DNS servers; one lookup, its failure kept.
        var resolver = BackendManager.CreateDnsResolver(_options, _context.Settings.Server, _context.TimeProvider, NullLoggerFactory.Instance)
            ?? throw new InvalidOperationException("The configuration validator lets no other resolver through.");
        await using (resolver)
        {
            using var timeout = new CancellationTokenSource(_context.Timeout, _context.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                var endpoints = (await resolver.ResolveOnceAsync(linked.Token).WaitAsync(_context.Timeout, _context.TimeProvider, cancellationToken)).Distinct().ToList();
                if (endpoints.Count == 0)
                {
                    return (endpoints, CheckResult.Fail(BackendChecks.Area, LineName, $"{Resolver}: resolves to no addresses on {DnsServers()}",
                        $"publish {(_options.Srv is not null ? "SRV records whose targets have" : "A or AAAA")} records for {DnsName}, or fix the name in {Where}"));
                }

                return (endpoints, CheckResult.Pass(BackendChecks.Area, LineName, $"{Resolver}: {Addresses(endpoints)}"));
            }
            catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return (null, CheckResult.Fail(BackendChecks.Area, LineName, $"{Resolver}: {DnsServers()} gave no answer within {Format(_context.Timeout)}",
                    "check that the DNS server is reachable from here (Kedge:Server:DnsServers, or /etc/resolv.conf for the system resolver)"));
            }
            catch (Exception ex) when (ex is SocketException or DnsResponseException or ArgumentException)
            {
                var (cause, fix) = Describe(ex);
                return (null, CheckResult.Fail(BackendChecks.Area, LineName, $"{Resolver}: {cause} on {DnsServers()}", fix));
            }
        }
    }

    private string DnsName => _options.Host?.DnsName ?? _options.Srv?.DnsName ?? string.Empty;

    private (string Cause, string Fix) Describe(Exception exception)
    {
        var checkName = $"check the name '{DnsName}' ({Where}) or the cluster DNS";
        return exception switch
        {
            SocketException { SocketErrorCode: SocketError.HostNotFound } => ("the name does not resolve (NXDOMAIN)", checkName),
            SocketException { SocketErrorCode: SocketError.NoData } => _options.Srv is not null
                ? ("resolves to no addresses", $"publish SRV records whose targets have records for {DnsName}, or fix the name in {Where}")
                : ("the name has no A or AAAA records", checkName),
            SocketException { SocketErrorCode: SocketError.TryAgain } => ("the DNS server could not answer (SERVFAIL or no answer)", "check the DNS server is up and can resolve the name, then try again"),
            DnsResponseException { Code: DnsResponseCode.NotExistentDomain } => ("the name does not resolve (NXDOMAIN)", checkName),
            DnsResponseException { Code: DnsResponseCode.ServerFailure } => ("the DNS server failed to answer (SERVFAIL)", "check the DNS server is up and can resolve the name, then try again"),
            DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } => ("the DNS server did not answer", "check that the DNS server is reachable from here (Kedge:Server:DnsServers, or /etc/resolv.conf for the system resolver)"),
            DnsResponseException dns => ($"the lookup failed ({dns.Code}: {dns.Message})", checkName),
            _ => ($"the lookup failed: {exception.Message}", checkName),
        };
    }

    /// <summary>The DNS servers the lookup went to: kedge's own (<c>Kedge:Server:DnsServers</c>) or the system's.</summary>
    private string DnsServers()
    {
        if (_context.Settings.Server.DnsServers is { Count: > 0 } servers)
        {
            return "DNS server " + string.Join(", ", servers) + " (Kedge:Server:DnsServers)";
        }

        try
        {
            var system = NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false);
            return system.Count == 0 ? "the system resolver" : "the system resolver (" + string.Join(", ", system.Select(s => s.Address)) + ")";
        }
        catch (InvalidOperationException)
        {
            return "the system resolver";
        }
    }

    private static string Addresses(List<BackendEndpoint> endpoints)
    {
        var shown = string.Join(", ", endpoints.Take(5).Select(e => e.Authority)) + (endpoints.Count > 5 ? ", …" : string.Empty);
        return string.Create(CultureInfo.InvariantCulture, $"{endpoints.Count} address{(endpoints.Count == 1 ? string.Empty : "es")} ({shown})");
    }

    internal static string Format(TimeSpan timeout) => CheckRunner.Format(timeout);
}
