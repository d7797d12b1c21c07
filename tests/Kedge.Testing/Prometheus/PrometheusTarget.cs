namespace Kedge.Testing.Prometheus;

/// <summary>A scrape target as <c>/api/v1/targets</c> reports it: its health (<c>up</c>, <c>down</c>, <c>unknown</c>) and last scrape error.</summary>
public sealed record PrometheusTarget(string ScrapeUrl, string Health, string LastError)
{
    public override string ToString() => $"{ScrapeUrl} {Health}{(LastError.Length > 0 ? ": " + LastError : "")}";
}
