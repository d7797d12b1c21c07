using Kedge.GoCompat;
using Kedge.Server.Configuration.Settings;

namespace Kedge.Server.Hosting.GoFlags;

/// <summary>
/// Go kedge's command-line flags (reference §2.1), grouped by the package that registered them in Go. The flags of
/// settings are defined with the setting (<see cref="KedgeSettingCatalog"/>); only their names are here.
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

    /// <summary>cmd/kedge/main.go: listeners, timeouts, logging (from <see cref="KedgeSettingCatalog.Listeners"/>).</summary>
    public static IReadOnlyList<GoFlag> Server => FlagsOf(KedgeSettingCatalog.Listeners);

    /// <summary>cmd/kedge/tls.go (from <see cref="KedgeSettingCatalog.Tls"/>).</summary>
    public static IReadOnlyList<GoFlag> Tls => FlagsOf(KedgeSettingCatalog.Tls);

    /// <summary>
    /// cmd/kedge/configs.go: where the routing configuration comes from (not settings: they carry routes and backends).
    /// All four default to "". Go's <c>_config</c> defaults were the empty <c>{"grpc":{},"http":{}}</c>, which is what
    /// an unset config means here, and Go's <c>_path</c> defaults (<c>default_director.json</c>,
    /// <c>default_backendpool.json</c>) named files that had to exist next to the binary and do not exist here.
    /// </summary>
    public static IReadOnlyList<GoFlag> Config { get; } =
    [
        GoFlag.String(DirectorConfig, string.Empty, "Go kedge DirectorConfig (routes and adhoc rules) as jsonpb JSON."),
        GoFlag.String(DirectorConfigPath, string.Empty, "Path to a file holding the " + DirectorConfig + " value; watched: a change is applied, an invalid one rejected (the last good configuration stays)."),
        GoFlag.String(BackendPoolConfig, string.Empty, "Go kedge BackendPoolConfig (backends) as jsonpb JSON."),
        GoFlag.String(BackendPoolConfigPath, string.Empty, "Path to a file holding the " + BackendPoolConfig + " value; watched like --" + DirectorConfigPath + "."),
    ];

    /// <summary>pkg/kedge/http/lbtransport (from <see cref="KedgeSettingCatalog.Backends"/>).</summary>
    public static IReadOnlyList<GoFlag> LbTransport => FlagsOf(KedgeSettingCatalog.Backends);

    /// <summary>cmd/kedge/auth.go (from <see cref="KedgeSettingCatalog.Authorization"/>).</summary>
    public static IReadOnlyList<GoFlag> Auth => FlagsOf(KedgeSettingCatalog.Authorization);

    /// <summary>Every kedge flag, in --help order. Computed: the groups come from the setting definitions.</summary>
    public static IReadOnlyList<GoFlag> All => [.. Server, .. Tls, .. Config, .. LbTransport, .. Auth, .. KubernetesFlags.All];

    internal static IReadOnlyList<GoFlag> FlagsOf(IEnumerable<KedgeSetting> settings) => [.. settings.SelectMany(s => s.Flags)];
}
