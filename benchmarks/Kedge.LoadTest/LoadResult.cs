namespace Kedge.LoadTest;

/// <summary>One measured run: throughput and latency (p50/p99 where the tool reports them, else the mean in both).</summary>
internal sealed record LoadResult(string Target, string Protocol, double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, string Note = "");
