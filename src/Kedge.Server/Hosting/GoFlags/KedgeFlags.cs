using Kedge.GoCompat;

namespace Kedge.Server.Hosting.GoFlags;

/// <summary>
/// Go kedge's command-line flags (reference §2.1), grouped by the package that registered them in Go. To add flags
/// (OIDC, Kubernetes…), add the name constants, a group list, and the group to <see cref="All"/>.
/// </summary>
internal static class KedgeFlags
{
    public const string ServerBindAddress = "server_bind_address";
    public const string ServerHttpTlsPort = "server_http_tls_port";
    public const string ServerGrpcTlsPort = "server_grpc_tls_port";
    public const string ServerHttpPort = "server_http_port";
    public const string ServerMetricsPath = "server_metrics_path";
    public const string ServerHttpMaxReadTimeout = "server_http_max_read_timeout";
    public const string ServerHttpMaxWriteTimeout = "server_http_max_write_timeout";
    public const string LogLevel = "log_level";

    public const string ServerTlsCertFile = "server_tls_cert_file";
    public const string ServerTlsKeyFile = "server_tls_key_file";
    public const string ServerTlsClientCaFiles = "server_tls_client_ca_files";
    public const string ServerTlsClientCertRequired = "server_tls_client_cert_required";

    public const string DirectorConfig = "kedge_config_director_config";
    public const string DirectorConfigPath = "kedge_config_director_config_path";
    public const string BackendPoolConfig = "kedge_config_backendpool_config";
    public const string BackendPoolConfigPath = "kedge_config_backendpool_config_path";

    public const string LbTransportFailedTargetBackoffDuration = "lbtransport_failed_target_backoff_duration";

    public const string ServerOidcProviderUrl = "server_oidc_provider_url";
    public const string ServerOidcClientId = "server_oidc_client_id";
    public const string ServerOidcPermsClaim = "server_oidc_perms_claim";
    public const string ServerOidcWhitelistPerms = "server_oidc_whitelist_perms";
    public const string ServerOidcRequiredPerm = "server_oidc_required_perm";
    public const string ServerOidcCaFile = "server_oidc_ca_file";
    public const string ServerEnableOidcForDebugEndpoints = "server_enable_oidc_for_debug_endpoints";
    public const string UnsafeBearerTokenProxyAuth = "unsafe_bearer_token_proxy_auth";

    /// <summary>logrus level names; logrus lower-cases the value first, so the check is case-insensitive.</summary>
    public static readonly IReadOnlyList<string> LogLevels = ["panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"];

    /// <summary>cmd/kedge/main.go: listeners, timeouts, logging.</summary>
    public static IReadOnlyList<GoFlag> Server { get; } =
    [
        GoFlag.String(ServerBindAddress, "0.0.0.0", "Bind address for all listeners: the HTTPS proxy, the gRPC proxy and the plain HTTP debug server."),
        GoFlag.Port(ServerHttpTlsPort, 8443, "TCP port for the HTTPS proxy (HTTP/1.1 and h2; gRPC requests are passed to the gRPC proxy). 0 disables it."),
        GoFlag.Port(ServerGrpcTlsPort, 8444, "TCP port for the gRPC-over-TLS proxy. 0 disables it (and the HTTPS port stops passing gRPC on)."),
        GoFlag.Port(ServerHttpPort, 8080, "TCP port for the plain HTTP debug server (metrics, health, debug pages). 0 disables it."),
        GoFlag.String(ServerMetricsPath, "/metrics", "Path of the Prometheus metrics on the debug server."),
        GoFlag.Duration(ServerHttpMaxReadTimeout, TimeSpan.FromSeconds(10), "Maximum duration for reading a whole request, body included, on the HTTPS proxy."),
        GoFlag.Duration(ServerHttpMaxWriteTimeout, TimeSpan.FromSeconds(10), "Maximum duration before timing out writes of the response on the HTTPS proxy."),
        GoFlag.String(LogLevel, "info", "Log level: panic, fatal, error, warn (or warning), info, debug or trace.", LogLevels),
    ];

    /// <summary>
    /// cmd/kedge/tls.go. The certificate and key default to "" rather than Go's <c>../misc/localhost.crt</c> and
    /// <c>../misc/localhost.key</c>: those files belong to the Go repository's test assets and do not exist here.
    /// </summary>
    public static IReadOnlyList<GoFlag> Tls { get; } =
    [
        GoFlag.String(ServerTlsCertFile, string.Empty, "Path to the PEM certificate (chain) of the TLS listeners."),
        GoFlag.String(ServerTlsKeyFile, string.Empty, "Path to the PEM private key of the TLS listeners."),
        GoFlag.StringSlice(ServerTlsClientCaFiles, null, "Paths to PEM CA certificates that client certificates must chain to. Empty: client certificates are not requested."),
        GoFlag.Bool(ServerTlsClientCertRequired, true, "With client CA files: require a client certificate (false: verify one only if given)."),
    ];

    /// <summary>
    /// cmd/kedge/configs.go. All four default to "". Go's <c>_config</c> defaults were the empty
    /// <c>{"grpc":{},"http":{}}</c>, which is what an unset config means here, and Go's <c>_path</c> defaults
    /// (<c>default_director.json</c>, <c>default_backendpool.json</c>) named files that had to exist next to the binary
    /// and do not exist here.
    /// </summary>
    public static IReadOnlyList<GoFlag> Config { get; } =
    [
        GoFlag.String(DirectorConfig, string.Empty, "Go kedge DirectorConfig (routes and adhoc rules) as jsonpb JSON."),
        GoFlag.String(DirectorConfigPath, string.Empty, "Path to a file holding the " + DirectorConfig + " value; read once at start-up."),
        GoFlag.String(BackendPoolConfig, string.Empty, "Go kedge BackendPoolConfig (backends) as jsonpb JSON."),
        GoFlag.String(BackendPoolConfigPath, string.Empty, "Path to a file holding the " + BackendPoolConfig + " value; read once at start-up."),
    ];

    /// <summary>pkg/kedge/http/lbtransport.</summary>
    public static IReadOnlyList<GoFlag> LbTransport { get; } =
    [
        GoFlag.Duration(LbTransportFailedTargetBackoffDuration, TimeSpan.FromSeconds(2), "How long a backend address that failed to dial is skipped. 0 disables skipping."),
    ];

    /// <summary>
    /// cmd/kedge/auth.go. <c>server_oidc_required_perm</c> is the name Go's docs wrongly used; it is accepted as another
    /// way to give whitelist permissions. <c>server_oidc_ca_file</c> is new: a private issuer's CA.
    /// </summary>
    public static IReadOnlyList<GoFlag> Auth { get; } =
    [
        GoFlag.String(ServerOidcProviderUrl, string.Empty, "OIDC issuer URL. Empty: no OIDC. Callers send ID tokens as 'Proxy-Authorization: Bearer <token>'."),
        GoFlag.String(ServerOidcClientId, string.Empty, "OIDC client id: the audience tokens must carry. Required with OIDC."),
        GoFlag.String(ServerOidcPermsClaim, string.Empty, "Claim holding the caller's permissions (a JSON array of strings or a space-separated string). Required with OIDC."),
        GoFlag.StringSlice(ServerOidcWhitelistPerms, null, "Permissions any one of which lets a caller through. Required with OIDC."),
        GoFlag.StringSlice(ServerOidcRequiredPerm, null, "Alias of --" + ServerOidcWhitelistPerms + " (the name Go kedge's docs used)."),
        GoFlag.String(ServerOidcCaFile, string.Empty, "PEM CA file to trust for the OIDC issuer's TLS certificate. Empty: the system roots."),
        GoFlag.Bool(ServerEnableOidcForDebugEndpoints, false, "Require the auth on the debug server's /debug/* endpoints (health, readiness and metrics stay open)."),
        GoFlag.String(UnsafeBearerTokenProxyAuth, string.Empty, "A static token every caller must send as 'Proxy-Authorization: Bearer <token>'. Unsafe; excludes OIDC."),
    ];

    /// <summary>Every kedge flag. Declared last: static initializers run in textual order.</summary>
    public static IReadOnlyList<GoFlag> All { get; } = [.. Server, .. Tls, .. Config, .. LbTransport, .. Auth, .. KubernetesFlags.All];
}
