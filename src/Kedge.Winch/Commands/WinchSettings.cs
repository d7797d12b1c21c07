using Kedge.Winch.Configuration;

namespace Kedge.Winch.Commands;

/// <summary>Everything winch runs with, read and checked from the command line and the config files.</summary>
internal sealed record WinchSettings
{
    /// <summary>The HTTP proxy port on 127.0.0.1; 0 picks a free port.</summary>
    public int HttpPort { get; init; } = 8070;

    /// <summary>The gRPC proxy port on 127.0.0.1; 0 picks a free port.</summary>
    public int GrpcPort { get; init; } = 8071;

    /// <summary><c>host:port</c> of a separate monitoring server, or empty.</summary>
    public string MonitoringAddress { get; init; } = string.Empty;

    public string MetricsPath { get; init; } = "/metrics";

    public TimeSpan HttpMaxReadTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> CorsAllowedOrigins { get; init; } = [];

    public string LogLevel { get; init; } = "info";

    public bool DebugMode { get; init; }

    /// <summary><c>text</c> or <c>json</c>.</summary>
    public string LogFormat { get; init; } = WinchFlags.LogFormatText;

    /// <summary>The OTLP endpoint from <c>--otlp_endpoint</c>, or empty (the OTEL_* variables decide).</summary>
    public string OtlpEndpoint { get; init; } = string.Empty;

    public IReadOnlyList<string> PacShExpressions { get; init; } = [];

    /// <summary>The PAC file to serve instead of the generated one, or empty.</summary>
    public string PacFile { get; init; } = string.Empty;

    public string ClientCertFile { get; init; } = string.Empty;

    public string ClientKeyFile { get; init; } = string.Empty;

    public IReadOnlyList<string> RootCaFiles { get; init; } = [];

    public bool ClientInsecure { get; init; }

    public required WinchConfig Config { get; init; }
}
