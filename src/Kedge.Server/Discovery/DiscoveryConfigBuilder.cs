using System.Globalization;
using k8s.Models;
using Kedge.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Kedge.Server.Discovery;

/// <summary>
/// Turns exposed Services into routes and backends, as Go kedge's discovery did (reference §10), with its gaps closed:
/// names are lower-cased, the <c>&lt;prefix&gt;service-name-matcher</c> annotation is honoured, a name too long to be
/// a backend skips that port (with a log) instead of failing the whole update, and two Services claiming the same
/// host and port are resolved deterministically: the older Service (then the lower namespace/name) keeps the claim.
/// </summary>
internal static class DiscoveryConfigBuilder
{
    public const string ExposedLabel = "kedge-exposed";
    public const string HostMatcherAnnotation = "host-matcher";
    public const string ServiceNameMatcherAnnotation = "service-name-matcher";

    /// <param name="services">The exposed Services.</param>
    /// <param name="options">Suffix and prefix.</param>
    /// <param name="logger">Where skipped ports and conflicts are logged.</param>
    /// <param name="previous">
    /// The backends generated last time, by name: an unchanged backend is handed over as the same instance, so applying
    /// thousands of them does not compare (or allocate) thousands of settings again.
    /// </param>
    public static DiscoveredRouting Build(IEnumerable<V1Service> services, DiscoveryOptions options, ILogger logger, IReadOnlyDictionary<string, BackendOptions>? previous = null)
    {
        var prefix = options.LabelAnnotationPrefix;
        var suffix = options.ExternalDomainSuffix!.Trim('.').ToLowerInvariant();

        // Claims go first to Services on their own generated host, then to host-matcher overrides (so an override can
        // never hold another Service's generated host), and within each to the oldest Service first, so a new Service
        // can never take a name that is already served.
        var ordered = services
            .Where(s => s.Metadata?.Name is not null)
            .OrderBy(s => HasHostOverride(s, prefix) ? 1 : 0)
            .ThenBy(s => s.Metadata.CreationTimestamp ?? DateTime.MaxValue)
            .ThenBy(s => s.Metadata.NamespaceProperty, StringComparer.Ordinal)
            .ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .ToList();

        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        var backendOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var generated = new List<(string Ns, string Name, List<DiscoveredEntry<HttpRouteOptions>> Http, List<DiscoveredEntry<GrpcRouteOptions>> Grpc, Dictionary<string, BackendOptions> HttpBackends, Dictionary<string, BackendOptions> GrpcBackends)>();
        var conflicts = 0;
        foreach (var service in ordered)
        {
            var ns = (service.Metadata.NamespaceProperty ?? "default").ToLowerInvariant();
            var name = service.Metadata.Name.ToLowerInvariant();
            var id = $"{ns}/{name}";
            var annotations = service.Metadata.Annotations ?? new Dictionary<string, string>();
            var hostOverride = annotations.TryGetValue(prefix + HostMatcherAnnotation, out var h) && !string.IsNullOrWhiteSpace(h) ? h.Trim().ToLowerInvariant() : null;
            var serviceNameMatcher = annotations.TryGetValue(prefix + ServiceNameMatcherAnnotation, out var m) && !string.IsNullOrWhiteSpace(m) ? m.Trim() : null;
            var badServiceNameMatcher = serviceNameMatcher is { Length: > 1 } && serviceNameMatcher.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != serviceNameMatcher.Length - 1;
            var ownHost = $"{name}.{ns}.svc.{suffix}";
            if (hostOverride is not null && hostOverride != ownHost && hostOverride.EndsWith(".svc." + suffix, StringComparison.Ordinal))
            {
                // "<svc>.<ns>.svc.<suffix>" names belong to the Services they name: no annotation may take one.
                KedgeServerLog.DiscoveryPortSkipped(logger, id, "*", $"the annotation {prefix}{HostMatcherAnnotation} '{hostOverride}' names a host of the generated '*.svc.{suffix}' form that is not this Service's own; it is ignored and '{ownHost}' used.");
                hostOverride = null;
            }

            var host = hostOverride ?? ownHost;

            var http = new List<DiscoveredEntry<HttpRouteOptions>>();
            var grpc = new List<DiscoveredEntry<GrpcRouteOptions>>();
            var httpBackends = new Dictionary<string, BackendOptions>(StringComparer.Ordinal);
            var grpcBackends = new Dictionary<string, BackendOptions>(StringComparer.Ordinal);
            foreach (var port in service.Spec?.Ports ?? [])
            {
                if (Classify(port.Name) is not { } kind)
                {
                    // Go kedge ignored other port names too (metrics, admin…): only named protocols are exposed.
                    continue;
                }

                if (kind.Grpc && badServiceNameMatcher)
                {
                    // One Service's bad annotation must not block every other Service's routes: skip just this port.
                    KedgeServerLog.DiscoveryPortSkipped(logger, id, port.Name!, $"the annotation {prefix}{ServiceNameMatcherAnnotation} '{serviceNameMatcher}' may only end with '*' (for example 'com.example.*'); the port is not exposed.");
                    continue;
                }

                var portToExpose = port.TargetPort?.Value is { Length: > 0 } target ? target : port.Port.ToString(CultureInfo.InvariantCulture);
                var backendName = $"{name}_{ns}_{portToExpose}".ToLowerInvariant().Replace('-', '_');
                if (!BackendNameRule.IsValid(backendName))
                {
                    KedgeServerLog.DiscoveryPortSkipped(logger, id, port.Name!, $"the generated backend name '{backendName}' does not match {BackendNameRule.Pattern} (too long?); the port is not exposed.");
                    continue;
                }

                var backend = new BackendOptions
                {
                    Name = backendName,
                    K8s = new K8sResolverOptions { DnsPortName = $"{name}.{ns}:{port.Name}" },
                    Tls = kind.Tls ? new BackendTlsOptions { InsecureSkipVerify = true } : null,
                    Autogenerated = true,
                };
                if (previous is not null && previous.TryGetValue(backendName, out var last) && SameGenerated(last, backend))
                {
                    backend = last;
                }

                string claim;
                if (kind.Grpc)
                {
                    claim = DiscoveredRouting.GrpcClaim(host, port.Port, serviceNameMatcher);
                }
                else
                {
                    claim = DiscoveredRouting.HttpClaim(host, port.Port);
                }

                // Generated names can coincide ("a-b" in "c" and "a" in "b-c" both give "a_b_c_8080"): the name is a claim
                // too, so one Service can never make the whole discovered configuration invalid.
                var backendClaim = (kind.Grpc ? "gRPC backend " : "HTTP backend ") + backendName;
                if (backendOwners.TryGetValue(backendClaim, out var backendHolder) && backendHolder != id)
                {
                    KedgeServerLog.DiscoveryConflict(logger, id, $"the generated backend name '{backendName}'", backendHolder);
                    conflicts++;
                    continue;
                }

                if (claims.TryGetValue(claim, out var holder))
                {
                    if (holder != id)
                    {
                        KedgeServerLog.DiscoveryConflict(logger, id, claim, holder);
                        conflicts++;
                    }

                    continue;
                }

                claims[claim] = id;
                backendOwners[backendClaim] = id;

                // Several ports with one target port share one backend; the last port's name resolves it (as in Go).
                if (kind.Grpc)
                {
                    grpcBackends[backendName] = backend;
                    grpc.Add(new(id, new GrpcRouteOptions { Backend = backendName, AuthorityHost = host, AuthorityPort = port.Port, ServiceName = serviceNameMatcher, Autogenerated = true }));
                }
                else
                {
                    httpBackends[backendName] = backend;
                    http.Add(new(id, new HttpRouteOptions { Backend = backendName, Host = host, Port = port.Port, ProxyMode = ProxyMode.ReverseProxy, Autogenerated = true }));
                }
            }

            generated.Add((ns, name, http, grpc, httpBackends, grpcBackends));
        }

        // Output in namespace/name order, so the generated part of the configuration does not depend on event order.
        var sorted = generated.OrderBy(g => g.Ns, StringComparer.Ordinal).ThenBy(g => g.Name, StringComparer.Ordinal).ToList();
        return new DiscoveredRouting(
            [.. sorted.SelectMany(g => g.Http)],
            [.. sorted.SelectMany(g => g.Grpc)],
            [.. sorted.SelectMany(g => g.HttpBackends.Values.Select(b => new DiscoveredEntry<BackendOptions>($"{g.Ns}/{g.Name}", b)))],
            [.. sorted.SelectMany(g => g.GrpcBackends.Values.Select(b => new DiscoveredEntry<BackendOptions>($"{g.Ns}/{g.Name}", b)))],
            ordered.Count,
            conflicts);
    }

    private static bool SameGenerated(BackendOptions a, BackendOptions b)
        => a.Name == b.Name && a.K8s?.DnsPortName == b.K8s?.DnsPortName && (a.Tls is null) == (b.Tls is null)
            && a.Tls?.InsecureSkipVerify == b.Tls?.InsecureSkipVerify && a.Autogenerated == b.Autogenerated
            && a.Static is null && a.Host is null && a.Srv is null && a.Tls?.CaFile is null && a.Tls?.ServerName is null && a.Tls?.ClientCertificateFile is null;

    /// <summary>Port name rules: <c>http</c>, <c>http-*</c>, <c>httptls</c>, <c>httptls-*</c>, <c>grpc</c>, <c>grpc-*</c>, <c>grpctls</c>, <c>grpctls-*</c>.</summary>
    internal static (bool Grpc, bool Tls)? Classify(string? portName)
    {
        static bool Is(string name, string kind) => name == kind || name.StartsWith(kind + "-", StringComparison.Ordinal);
        if (portName is null)
        {
            return null;
        }

        return Is(portName, "http") ? (false, false)
            : Is(portName, "httptls") ? (false, true)
            : Is(portName, "grpc") ? (true, false)
            : Is(portName, "grpctls") ? (true, true)
            : null;
    }

    private static bool HasHostOverride(V1Service service, string prefix)
        => service.Metadata.Annotations?.TryGetValue(prefix + HostMatcherAnnotation, out var h) == true && !string.IsNullOrWhiteSpace(h);
}
