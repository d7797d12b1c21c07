namespace Kedge.Winch.Tests;

/// <summary>
/// Tests that install an activity listener, an in-process TracerProvider or a meter listener run alone: listeners see
/// every source and meter of a name in the process, so they would turn tracing on for every other winch running at the
/// same time, and count other tests' measurements.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideListeners
{
    public const string Name = "Process-wide activity listeners";
}
