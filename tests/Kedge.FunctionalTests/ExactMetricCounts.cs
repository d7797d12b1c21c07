namespace Kedge.FunctionalTests;

/// <summary>
/// Tests that assert exact metric counts run alone. OpenTelemetry's MeterProvider listens to every meter of a name in the
/// process, not only to the meters of its own host (measured: a kedge's /metrics counted another in-process kedge's
/// refusal), and when the host whose instrument it saw first is disposed, the shared stream can stop exporting. One
/// kedge per process, as in production, is unaffected; the test process runs dozens at once.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExactMetricCounts
{
    public const string Name = "Exact metric counts (no other kedge in the process)";
}
