namespace Kedge.LoadTest;

/// <summary>
/// One measured run: throughput and latency (p50/p99 where the tool reports them, else the mean in both), and the CPU the
/// proxy's processes spent per request (NaN for the direct runs, whose backend lives in the harness).
/// </summary>
internal sealed record LoadResult(string Target, string Protocol, double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, string Note = "")
{
    public double CpuMicrosPerRequest { get; init; } = double.NaN;

    /// <summary>How long the load ran, to turn req/s into a request count.</summary>
    public double DurationSeconds { get; init; }
}
