namespace Kedge.Winch.Tests;

/// <summary>
/// Tests that install an activity listener or an in-process TracerProvider run alone: listeners see every source of a
/// name in the process, and would turn tracing on for every other winch running at the same time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideListeners
{
    public const string Name = "Process-wide activity listeners";
}
