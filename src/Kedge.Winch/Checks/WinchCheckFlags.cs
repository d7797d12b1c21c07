using Kedge.GoCompat;

namespace Kedge.Winch.Checks;

/// <summary>The flags <c>winch check</c> adds to winch's own.</summary>
internal static class WinchCheckFlags
{
    public const string Output = "output";
    public const string Timeout = "timeout";
    public const string Probe = "probe";
    public const string OutputTable = "table";
    public const string OutputJson = "json";

    public static readonly IReadOnlyList<GoFlag> All =
    [
        GoFlag.String(Output, OutputTable, "How to write the report: table (for people) or json (for machines).", [OutputTable, OutputJson]),
        GoFlag.Duration(Timeout, TimeSpan.FromSeconds(3), "Time allowed for each check (a kedge's DNS, TCP, TLS and first request; one token; one route request)."),
        GoFlag.StringSlice(Probe, null, "host[:port] targets to request through their route, for routes that are patterns (regexp); repeat the flag or give a comma-separated list."),
    ];

    /// <summary>winch's flags and these, as <c>winch check</c> reads them.</summary>
    public static IReadOnlyList<GoFlag> WithWinchFlags { get; } = [.. Commands.WinchFlags.All, .. All];
}
