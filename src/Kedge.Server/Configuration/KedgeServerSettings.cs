namespace Kedge.Server.Configuration;

/// <summary>
/// How kedge listens, logs and reaches backends (the Go kedge flags, natively <c>Kedge:Server</c>). Each setting is defined
/// once in <c>KedgeSettingCatalog</c> (flag, help, validation); the routing configuration is not here.
/// </summary>
public sealed class KedgeServerSettings
{
    /// <summary>A port value that binds any free port (for tests and tools); 0 disables a listener, as in Go kedge.</summary>
    public const int AnyFreePort = -1;

    /// <summary>Address the TLS proxy ports bind to, and the admin port unless <see cref="AdminBindAddress"/> is set. Default <c>0.0.0.0</c>.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Address the admin port binds to. Unset: <see cref="BindAddress"/>.</summary>
    public string? AdminBindAddress { get; set; }

    /// <summary>The TLS proxy port (HTTP/1.1, HTTP/2 and gRPC). 0 disables it. Default 8443.</summary>
    public int HttpTlsPort { get; set; } = 8443;

    /// <summary>A separate TLS port for gRPC. 0 disables it (gRPC is still served on the TLS proxy port). Default 8444.</summary>
    public int GrpcTlsPort { get; set; } = 8444;

    /// <summary>The plain-HTTP admin port (health, readiness, metrics, version, debug config). 0 disables it. Default 8080.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>The metrics path on the admin port. Default <c>/metrics</c>.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>PEM server certificate (reloaded when it changes). Required when a TLS port is enabled.</summary>
    public string? TlsCertFile { get; set; }

    /// <summary>PEM server key.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>PEM CA files client certificates must chain to. Empty: client certificates are not requested.</summary>
    public List<string> TlsClientCaFiles { get; set; } = [];

    /// <summary>With CA files: whether a client certificate is required (true) or only verified when given. Default true.</summary>
    public bool TlsClientCertRequired { get; set; } = true;

    /// <summary>Time allowed to receive request headers on the TLS proxy ports. Default 10 s. (It never cuts a streaming body.)</summary>
    public TimeSpan HttpMaxReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Accepted for compatibility with Go kedge; not applied, so long-lived streams are not cut. Default 10 s.</summary>
    public TimeSpan HttpMaxWriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Log level: panic, fatal, error, warn (or warning), info, debug or trace (logrus names). Default <c>info</c>.</summary>
    public string LogLevel { get; set; } = "info";

    /// <summary>Console log format: <c>text</c> (the default) or <c>json</c> (one JSON object per line, with trace and span ids).</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>Whether kedge writes one access log line per request it answers on its proxy ports. Default false.</summary>
    public bool AccessLog { get; set; }

    /// <summary>
    /// Where traces are exported over OTLP, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> would say (which it overrides). Unset
    /// (and no <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): no traces are recorded.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How long an endpoint that failed to connect is left out of rotation. Default 2 s; 0 disables ejection.</summary>
    public TimeSpan FailedTargetBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often DNS-resolved backends are re-resolved. Default 5 s.</summary>
    public TimeSpan DnsRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// DNS servers (<c>ip</c> or <c>ip:port</c>) adhoc rules and Host/Srv backends resolve names with; set, these names
    /// bypass <c>/etc/hosts</c> and search domains. Empty: the system resolver.
    /// </summary>
    public List<string> DnsServers { get; set; } = [];

    /// <summary>
    /// What happens to caller-supplied forwarding headers (<c>X-Forwarded-*</c>, <c>Forwarded</c>). Default
    /// <see cref="ForwardedHeadersMode.Set"/> (an edge); <see cref="ForwardedHeadersMode.Append"/> behind a trusted proxy.
    /// </summary>
    public ForwardedHeadersMode ForwardedHeaders { get; set; } = ForwardedHeadersMode.Set;

    /// <summary>The default authorization (natively the <c>Kedge:Auth</c> section, not part of <c>Kedge:Server</c>).</summary>
    public KedgeAuthSettings Auth { get; set; } = new();

    /// <summary>How long shutdown waits for in-flight requests. Default 20 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
