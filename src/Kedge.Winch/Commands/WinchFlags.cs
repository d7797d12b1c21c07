using Kedge.GoCompat;

namespace Kedge.Winch.Commands;

/// <summary>Go winch's flags (cmd/winch at 77a38cc), under the same names and defaults.</summary>
internal static class WinchFlags
{
    public const string ServerHttpPort = "server_http_port";
    public const string ServerGrpcPort = "server_grpc_port";
    public const string ServerHttpMonitoringAddress = "server_http_monitoring_address";
    public const string ServerMetricsPath = "server_metrics_path";
    public const string ServerHttpMaxWriteTimeout = "server_http_max_write_timeout";
    public const string ServerHttpMaxReadTimeout = "server_http_max_read_timeout";
    public const string ServerMapperConfig = "server_mapper_config";
    public const string ServerMapperConfigPath = "server_mapper_config_path";
    public const string ServerAuthConfig = "server_auth_config";
    public const string ServerAuthConfigPath = "server_auth_config_path";
    public const string ServerAuthTimeout = "server_auth_timeout";
    public const string CorsAllowedOrigin = "cors_allowed_origin";
    public const string LogLevel = "log_level";
    public const string DebugMode = "debug_mode";
    public const string PacRedirectShExpressions = "pac_redirect_sh_expressions";
    public const string PacFile = "pac_file";
    public const string ClientTlsCertFile = "client_tls_cert_file";
    public const string ClientTlsKeyFile = "client_tls_key_file";
    public const string ClientTlsRootCaFiles = "client_tls_root_ca_files";
    public const string ClientInsecure = "client_insecure";
    public const string BufferSizeBytes = "winch_reverseproxy_buffer_size_bytes";
    public const string BufferCount = "winch_reverseproxy_buffer_count";
    public const string FlushingInterval = "winch_reverseproxy_flushing_interval";
    public const string LogFormat = "log_format";
    public const string OtlpEndpoint = "otlp_endpoint";
    public const string LogFormatText = "text";
    public const string LogFormatJson = "json";

    public static readonly IReadOnlyList<GoFlag> All =
    [
        GoFlag.Port(ServerHttpPort, 8070, "Port of the HTTP proxy (use winch as HTTP_PROXY), the PAC file at /wpad.dat and winch's own endpoints. Bound to 127.0.0.1 only."),
        GoFlag.Port(ServerGrpcPort, 8071, "Port of the plain-text gRPC proxy: dial it and set the call's authority to the target. Bound to 127.0.0.1 only."),
        GoFlag.String(ServerHttpMonitoringAddress, string.Empty, "host:port of a separate server for /healthz, /version and metrics; empty: they are served on the HTTP proxy port."),
        GoFlag.String(ServerMetricsPath, "/metrics", "Path of the Prometheus metrics."),
        GoFlag.Duration(ServerHttpMaxWriteTimeout, TimeSpan.FromSeconds(15), "Accepted for Go winch command lines; winch does not cut proxied responses off (long polls and streams would break)."),
        GoFlag.Duration(ServerHttpMaxReadTimeout, TimeSpan.FromSeconds(15), "Time allowed to read a request's headers."),
        GoFlag.String(ServerMapperConfig, "{}", "The mapper config (Go winch's winch.config.MapperConfig JSON): routes from host[:port] to a kedge URL. At least one route is required."),
        GoFlag.String(ServerMapperConfigPath, string.Empty, "A file with the mapper config; used instead of --server_mapper_config."),
        GoFlag.String(ServerAuthConfig, "{}", "The auth config (Go winch's winch.config.AuthConfig JSON): named token sources that routes refer to."),
        GoFlag.String(ServerAuthConfigPath, string.Empty, "A file with the auth config; used instead of --server_auth_config."),
        GoFlag.Duration(ServerAuthTimeout, TimeSpan.FromSeconds(10), "Time allowed to build an auth source and to fetch one token (refresh, exec plugin)."),
        GoFlag.StringSlice(CorsAllowedOrigin, null, "Origins allowed to call winch from a browser page (CORS). Empty: no cross-origin access (Go winch allowed every origin); '*' allows all."),
        GoFlag.String(LogLevel, "info", "Log level.", ["debug", "info", "warning", "warn", "error", "fatal", "panic", "trace"]),
        GoFlag.String(LogFormat, LogFormatText, "Log line format: text, or json (one JSON object per line with the trace and span ids of the request in its scopes).", [LogFormatText, LogFormatJson]),
        GoFlag.String(OtlpEndpoint, string.Empty, "Export traces over OTLP to the collector at this base URL, as OTEL_EXPORTER_OTLP_ENDPOINT (for example http://127.0.0.1:4317; with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, http://127.0.0.1:4318, and /v1/traces is appended). Empty: OTEL_EXPORTER_OTLP_ENDPOINT decides; neither set: no traces are exported and a caller's traceparent passes through unchanged."),
        GoFlag.Bool(DebugMode, false, "Log at debug level and ask kedge to log each request (X-Kedge-Info-Logs: winch-$USER)."),
        GoFlag.StringSlice(PacRedirectShExpressions, null, "shExpMatch host patterns the PAC file at /wpad.dat sends through winch; empty: every plain-http host."),
        GoFlag.String(PacFile, string.Empty, "Serve this file at /wpad.dat instead of the generated PAC; cannot be combined with --pac_redirect_sh_expressions."),
        GoFlag.String(ClientTlsCertFile, string.Empty, "PEM client certificate presented to kedge (with --client_tls_key_file); re-read when it changes."),
        GoFlag.String(ClientTlsKeyFile, ".", "PEM key of --client_tls_cert_file."),
        GoFlag.StringSlice(ClientTlsRootCaFiles, null, "PEM files with the CAs kedge's certificate must chain to; empty: the system roots."),
        GoFlag.Bool(ClientInsecure, false, "Do not verify kedge's certificate. For local experiments only."),
        GoFlag.Int(BufferSizeBytes, 32768, "Accepted for Go winch command lines; ignored (the proxy's buffers are managed by the forwarder).", 0),
        GoFlag.Int(BufferCount, 2048, "Accepted for Go winch command lines; ignored.", 0),
        GoFlag.Duration(FlushingInterval, TimeSpan.FromMilliseconds(10), "Accepted for Go winch command lines; ignored (responses are flushed as they arrive)."),
    ];
}
