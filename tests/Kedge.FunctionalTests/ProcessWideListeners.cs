namespace Kedge.FunctionalTests;

/// <summary>
/// Tests that install an <see cref="System.Diagnostics.ActivityListener"/> or a <see cref="System.Diagnostics.Metrics.MeterListener"/>
/// run alone: listeners see every source and meter of a name in the process, so another test's calls would be counted,
/// and a listener turns tracing on for every other test running at the same time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideListeners
{
    public const string Name = "Process-wide activity and meter listeners";
}
