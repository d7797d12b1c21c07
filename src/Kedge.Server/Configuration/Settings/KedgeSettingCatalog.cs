using System.Net;
using Kedge.Server.Hosting.GoFlags;
using static Kedge.Server.Configuration.Settings.KedgeSetting;

namespace Kedge.Server.Configuration.Settings;

/// <summary>
/// Every start-up setting of kedge, grouped as Go kedge registered its flags (reference §2.1). To add a setting: a
/// property on its record, one <see cref="KedgeSetting.Define"/> here (flag, help, validation rule), then use it; the
/// flag, <c>--help</c>, the reports and the README tables follow.
/// </summary>
internal static class KedgeSettingCatalog
{
    private const string Server = "Server";
    private const string Auth = "Auth";
    private const string Kubernetes = "Kubernetes";
    private const string Discovery = "Discovery";
    private const string ReReadWhenChanged = "re-read when the file changes";

    /// <summary>The console log formats.</summary>
    public static readonly IReadOnlyList<string> LogFormats = ["text", "json"];

    /// <summary>cmd/kedge/main.go and tls.go: listeners, TLS, timeouts, logging; then kedge's own listener settings.</summary>
    public static IReadOnlyList<KedgeSetting> Listeners { get; } =
    [
        Define(Server, "BindAddress", KedgeFlags.ServerBindAddress, "Bind address of the TLS proxy ports, and of the admin port unless an admin bind address is given.",
            s => s.Server.BindAddress, (s, v) => s.Server.BindAddress = v, IpAddress),
        Define(Server, "AdminBindAddress", "server_admin_bind_address", "Bind address of the admin port (for example 127.0.0.1 or a pod-network address). Default: the bind address.",
            s => s.Server.AdminBindAddress, (s, v) => s.Server.AdminBindAddress = v, (v, origin, errors) => IpAddress(v ?? IPAddress.Any.ToString(), origin, errors)),
        Define(Server, "HttpTlsPort", KedgeFlags.ServerHttpTlsPort, "TLS proxy port: HTTP/1.1, HTTP/2 (ALPN) and gRPC on one port. 0 disables it.",
            s => s.Server.HttpTlsPort, (s, v) => s.Server.HttpTlsPort = v, Port, isPort: true),
        Define(Server, "GrpcTlsPort", KedgeFlags.ServerGrpcTlsPort, "A second TLS port (HTTP/2) that serves gRPC only (other requests get 415). 0 disables it.",
            s => s.Server.GrpcTlsPort, (s, v) => s.Server.GrpcTlsPort = v, Port, isPort: true),
        Define(Server, "HttpPort", KedgeFlags.ServerHttpPort, "Plain-HTTP admin port: /_healthz, /readyz, the metrics path, /_version, /debug/config, /debug/dashboard. 0 disables it.",
            s => s.Server.HttpPort, (s, v) => s.Server.HttpPort = v, Port, isPort: true),
        Define(Server, "MetricsPath", KedgeFlags.ServerMetricsPath, "Path of the Prometheus metrics on the admin port.",
            s => s.Server.MetricsPath, (s, v) => s.Server.MetricsPath = v, AbsolutePath),
        Define(Server, "HttpMaxReadTimeout", KedgeFlags.ServerHttpMaxReadTimeout, "Time allowed to receive a request's headers on the TLS proxy ports; it never cuts a streaming body.",
            s => s.Server.HttpMaxReadTimeout, (s, v) => s.Server.HttpMaxReadTimeout = v, Positive),
        Define(Server, "HttpMaxWriteTimeout", KedgeFlags.ServerHttpMaxWriteTimeout, "Accepted for compatibility with Go kedge and not applied: Go's write timeout cut long-lived streams and bounced gRPC.",
            s => s.Server.HttpMaxWriteTimeout, (s, v) => s.Server.HttpMaxWriteTimeout = v),
        Define(Server, "LogLevel", KedgeFlags.LogLevel, "Log level: panic, fatal, error, warn (or warning), info, debug or trace.",
            s => s.Server.LogLevel, (s, v) => s.Server.LogLevel = v, OneOf(KedgeFlags.LogLevels), allowedValues: KedgeFlags.LogLevels),
        Define(Server, "LogFormat", "log_format", "Console log format: text, or json (one JSON object per line; lines logged during a traced request carry its TraceId and SpanId).",
            s => s.Server.LogFormat, (s, v) => s.Server.LogFormat = v, OneOf(LogFormats), allowedValues: LogFormats),
        Define(Server, "AccessLog", "access_log", "Log one line per request on the proxy ports (category Kedge.Server.AccessLog, event 1500), whatever the log level.",
            s => s.Server.AccessLog, (s, v) => s.Server.AccessLog = v),
        Define(Server, "OtlpEndpoint", "otlp_endpoint", "Export traces over OTLP to this endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT, which it overrides). Unset and no OTEL_EXPORTER_OTLP_ENDPOINT: no traces.",
            s => s.Server.OtlpEndpoint, (s, v) => s.Server.OtlpEndpoint = v, (v, origin, errors) => HttpUrl(v, origin, errors)),
        Define(Server, "ShutdownTimeout", null, "How long shutdown (SIGTERM) waits for in-flight requests.",
            s => s.Server.ShutdownTimeout, (s, v) => s.Server.ShutdownTimeout = v, NotNegative),
    ];

    /// <summary>cmd/kedge/tls.go. The certificate and key default to "" rather than Go's test-asset paths, which do not exist here.</summary>
    public static IReadOnlyList<KedgeSetting> Tls { get; } =
    [
        Define(Server, "TlsCertFile", KedgeFlags.ServerTlsCertFile, "PEM certificate (chain) of the TLS listeners; required when a TLS port is enabled.",
            s => s.Server.TlsCertFile, (s, v) => s.Server.TlsCertFile = v, reload: ReReadWhenChanged),
        Define(Server, "TlsKeyFile", KedgeFlags.ServerTlsKeyFile, "PEM private key of the TLS listeners.",
            s => s.Server.TlsKeyFile, (s, v) => s.Server.TlsKeyFile = v, reload: ReReadWhenChanged),
        Define(Server, "TlsClientCaFiles", KedgeFlags.ServerTlsClientCaFiles, "PEM CA certificates client certificates must chain to. Empty: client certificates are not requested.",
            s => s.Server.TlsClientCaFiles, (s, v) => s.Server.TlsClientCaFiles = v, reload: ReReadWhenChanged),
        Define(Server, "TlsClientCertRequired", KedgeFlags.ServerTlsClientCertRequired, "With client CA files: require a client certificate (false: verify one only if given).",
            s => s.Server.TlsClientCertRequired, (s, v) => s.Server.TlsClientCertRequired = v),
    ];

    /// <summary>pkg/kedge/http/lbtransport, then kedge's own backend settings (native only).</summary>
    public static IReadOnlyList<KedgeSetting> Backends { get; } =
    [
        Define(Server, "FailedTargetBackoff", KedgeFlags.LbTransportFailedTargetBackoffDuration, "How long an endpoint that failed to connect is left out of rotation. 0 disables it.",
            s => s.Server.FailedTargetBackoff, (s, v) => s.Server.FailedTargetBackoff = v, NotNegative),
        Define(Server, "DnsRefreshInterval", null, "How often DNS-resolved backends (Host, Srv) are re-resolved.",
            s => s.Server.DnsRefreshInterval, (s, v) => s.Server.DnsRefreshInterval = v, Positive),
        Define(Server, "DnsServers", null, "DNS servers ('ip' or 'ip:port') adhoc rules and Host/Srv backends resolve names with; set, these names bypass /etc/hosts and search domains, and an empty or failed answer keeps a backend's last good endpoints. Empty: the system resolver.",
            s => s.Server.DnsServers, (s, v) => s.Server.DnsServers = v, IpEndpoints),
        Define(Server, "ForwardedHeaders", null, "Caller-supplied forwarding headers: Set (an edge: they describe what kedge saw) or Append (behind a proxy kedge trusts).",
            s => s.Server.ForwardedHeaders, (s, v) => s.Server.ForwardedHeaders = v, DefinedMode),
    ];

    /// <summary>
    /// cmd/kedge/auth.go. <c>server_oidc_required_perm</c> is the name Go's docs wrongly used; it adds whitelist
    /// permissions. <c>server_oidc_ca_file</c> is new: a private issuer's CA.
    /// </summary>
    public static IReadOnlyList<KedgeSetting> Authorization { get; } =
    [
        Define(Auth, "OidcProviderUrl", KedgeFlags.ServerOidcProviderUrl, "OIDC issuer URL. Empty: no OIDC. Callers send ID tokens as 'Proxy-Authorization: Bearer <token>'.",
            s => s.Server.Auth.OidcProviderUrl, (s, v) => s.Server.Auth.OidcProviderUrl = v),
        Define(Auth, "OidcClientId", KedgeFlags.ServerOidcClientId, "OIDC client id: the audience tokens must carry. Required with OIDC.",
            s => s.Server.Auth.OidcClientId, (s, v) => s.Server.Auth.OidcClientId = v),
        Define(Auth, "OidcPermsClaim", KedgeFlags.ServerOidcPermsClaim, "Claim holding the caller's permissions (a JSON array of strings or a space-separated string). Required with OIDC.",
            s => s.Server.Auth.OidcPermsClaim, (s, v) => s.Server.Auth.OidcPermsClaim = v),
        Define(Auth, "OidcWhitelistPerms", KedgeFlags.ServerOidcWhitelistPerms, "Permissions any one of which lets a caller through. Required with OIDC.",
            s => s.Server.Auth.OidcWhitelistPerms, (s, v) => s.Server.Auth.OidcWhitelistPerms = v,
            aliases: [(KedgeFlags.ServerOidcRequiredPerm, "Alias of --" + KedgeFlags.ServerOidcWhitelistPerms + " (the name Go kedge's docs used); adds to it.")]),
        Define(Auth, "OidcCaFile", KedgeFlags.ServerOidcCaFile, "PEM CA file to trust for the OIDC issuer's TLS certificate. Empty: the system roots.",
            s => s.Server.Auth.OidcCaFile, (s, v) => s.Server.Auth.OidcCaFile = v),
        Define(Auth, "OidcClockSkew", null, "Clock skew allowed when checking a token's lifetime (0 to 5 minutes).",
            s => s.Server.Auth.OidcClockSkew, (s, v) => s.Server.Auth.OidcClockSkew = v),
        Define(Auth, "OidcJwksRefreshRateLimit", null, "The least time between two JWKS refreshes caused by tokens with an unknown key id (at least 1 s).",
            s => s.Server.Auth.OidcJwksRefreshRateLimit, (s, v) => s.Server.Auth.OidcJwksRefreshRateLimit = v),
        Define(Auth, "ProtectDebugEndpoints", KedgeFlags.ServerEnableOidcForDebugEndpoints, "Require the auth on the admin port's /debug/* endpoints (health, readiness and metrics stay open).",
            s => s.Server.Auth.ProtectDebugEndpoints, (s, v) => s.Server.Auth.ProtectDebugEndpoints = v),
        Define(Auth, "UnsafeBearerToken", KedgeFlags.UnsafeBearerTokenProxyAuth, "A static token every caller must send as 'Proxy-Authorization: Bearer <token>'. Unsafe; excludes OIDC.",
            s => s.Server.Auth.UnsafeBearerToken, (s, v) => s.Server.Auth.UnsafeBearerToken = v, secret: true),
    ];

    /// <summary>
    /// pkg/k8s and pkg/resolvers/k8s. The CA and token defaults are "" rather than Go's service-account paths: "" means
    /// "the service-account file when it exists", so the same kedge runs in and out of a cluster.
    /// </summary>
    public static IReadOnlyList<KedgeSetting> KubernetesClient { get; } =
    [
        Define(Kubernetes, "ApiUrl", KubernetesFlags.KubeApiUrl, "Kubernetes API server URL. Default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (or the kubeconfig's server).",
            s => s.Kubernetes.ApiUrl, (s, v) => s.Kubernetes.ApiUrl = v),
        Define(Kubernetes, "TlsInsecure", KubernetesFlags.TlsInsecure, "Skip verifying the Kubernetes API server's certificate.",
            s => s.Kubernetes.TlsInsecure, (s, v) => s.Kubernetes.TlsInsecure = v),
        Define(Kubernetes, "CaFile", KubernetesFlags.CaFile, "PEM CA of the Kubernetes API server. Default: the service-account ca.crt when it exists.",
            s => s.Kubernetes.CaFile, (s, v) => s.Kubernetes.CaFile = v),
        Define(Kubernetes, "TokenFile", KubernetesFlags.TokenFile, "Bearer token file for the Kubernetes API. Default: the service-account token when it exists.",
            s => s.Kubernetes.TokenFile, (s, v) => s.Kubernetes.TokenFile = v, reload: "re-read on every API call",
            aliases: [(KubernetesFlags.GoTokenFile, "Go kedge's spelling of --" + KubernetesFlags.TokenFile + ".")]),
        Define(Kubernetes, "KubeconfigUser", KubernetesFlags.KubeconfigUser, "Use this kubeconfig user's credentials instead of the service account.",
            s => s.Kubernetes.KubeconfigUser, (s, v) => s.Kubernetes.KubeconfigUser = v),
        Define(Kubernetes, "KubeconfigPath", KubernetesFlags.KubeconfigPath, "Kubeconfig file to use instead of the service account (default ~/.kube/config when a kubeconfig user or context is given).",
            s => s.Kubernetes.KubeconfigPath, (s, v) => s.Kubernetes.KubeconfigPath = v),
        Define(Kubernetes, "KubeconfigContext", null, "Use this kubeconfig context. Default: the kubeconfig's current context.",
            s => s.Kubernetes.KubeconfigContext, (s, v) => s.Kubernetes.KubeconfigContext = v),
        Define(Kubernetes, "InitialSyncTimeout", KubernetesFlags.ResolverFirstUpdateTimeout, "How long applying a configuration waits for a new Kubernetes watch's first list before the backend starts empty and follows.",
            s => s.Kubernetes.InitialSyncTimeout, (s, v) => s.Kubernetes.InitialSyncTimeout = v, NotNegative),
        Define(Kubernetes, "MaxReconnectDelay", null, "The longest wait between watch reconnect attempts.",
            s => s.Kubernetes.MaxReconnectDelay, (s, v) => s.Kubernetes.MaxReconnectDelay = v, Positive),
        Define(Kubernetes, "WatchTimeout", null, "How long one watch request lasts before it is resumed from the last version.",
            s => s.Kubernetes.WatchTimeout, (s, v) => s.Kubernetes.WatchTimeout = v, Positive),
    ];

    /// <summary>pkg/discovery.</summary>
    public static IReadOnlyList<KedgeSetting> ServiceDiscovery { get; } =
    [
        Define(Discovery, "Enabled", KubernetesFlags.DynamicRoutingsEnabled, "Route to Kubernetes Services labelled <prefix>kedge-exposed, in all namespaces.",
            s => s.Discovery.Enabled, (s, v) => s.Discovery.Enabled = v),
        Define(Discovery, "ExternalDomainSuffix", KubernetesFlags.ExternalDomainSuffix, "Suffix of generated hosts: <service>.<namespace>.svc.<suffix>. Required with discovery.",
            s => s.Discovery.ExternalDomainSuffix, (s, v) => s.Discovery.ExternalDomainSuffix = v),
        Define(Discovery, "LabelAnnotationPrefix", KubernetesFlags.LabelAnnotationPrefix, "Prefix of the discovery label and annotations.",
            s => s.Discovery.LabelAnnotationPrefix, (s, v) => s.Discovery.LabelAnnotationPrefix = v),
        Define(Discovery, "DebounceDelay", null, "A burst of Service events is applied once it has been quiet this long (positive, at most MaxDebounceDelay).",
            s => s.Discovery.DebounceDelay, (s, v) => s.Discovery.DebounceDelay = v),
        Define(Discovery, "MaxDebounceDelay", null, "A steady stream of Service events is still applied at least this often.",
            s => s.Discovery.MaxDebounceDelay, (s, v) => s.Discovery.MaxDebounceDelay = v),
    ];

    /// <summary>Every setting. Declared last: static initializers run in textual order.</summary>
    public static IReadOnlyList<KedgeSetting> All { get; } = [.. Listeners, .. Tls, .. Backends, .. Authorization, .. KubernetesClient, .. ServiceDiscovery];

    /// <summary>The sections of <c>Kedge</c> that hold settings; everything else under <c>Kedge</c> is routing.</summary>
    public static IReadOnlyList<string> Sections { get; } = [.. All.Select(s => s.Section).Distinct(StringComparer.Ordinal)];

    private static void IpAddress(string value, string origin, List<string> errors)
    {
        if (!IPAddress.TryParse(value, out _))
        {
            errors.Add($"{origin}: '{value}' is not an IP address; give one such as 0.0.0.0 (every IPv4 address), :: or 127.0.0.1.");
        }
    }

    private static void HttpUrl(string? value, string origin, List<string> errors)
    {
        if (value is not null && (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{origin}: '{value}' is not an http(s) URL; give the collector's OTLP endpoint, for example http://otel-collector:4317.");
        }
    }

    private static void Port(int value, string origin, List<string> errors)
    {
        if (value is < KedgeServerSettings.AnyFreePort or > 65535)
        {
            errors.Add($"{origin}: {value} is not a port; give 1 to 65535, or 0 to disable the listener.");
        }
    }

    private static void AbsolutePath(string value, string origin, List<string> errors)
    {
        if (!value.StartsWith('/'))
        {
            errors.Add($"{origin}: '{value}' must start with '/', for example '/metrics'.");
        }
    }

    private static void Positive(TimeSpan value, string origin, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{origin}: must be positive, for example 10s (natively 00:00:10).");
        }
    }

    private static void NotNegative(TimeSpan value, string origin, List<string> errors)
    {
        if (value < TimeSpan.Zero)
        {
            errors.Add($"{origin}: must not be negative.");
        }
    }

    private static Action<string, string, List<string>> OneOf(IReadOnlyList<string> allowed) => (value, origin, errors) =>
    {
        if (!allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"{origin}: '{value}' is not one of {string.Join(", ", allowed)}.");
        }
    };

    private static void IpEndpoints(List<string> values, string origin, List<string> errors)
    {
        foreach (var value in values.Where(v => !IPEndPoint.TryParse(v, out _)))
        {
            errors.Add($"{origin}: '{value}' is not an IP address or 'ip:port', for example '10.96.0.10' or '127.0.0.1:5353'.");
        }
    }

    private static void DefinedMode(ForwardedHeadersMode value, string origin, List<string> errors)
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add($"{origin}: '{value}' is not a mode; use Set (the default, for an edge) or Append (behind a proxy kedge trusts).");
        }
    }
}
