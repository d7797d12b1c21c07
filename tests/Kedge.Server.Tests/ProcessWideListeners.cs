namespace Kedge.Server.Tests;

/// <summary>
/// Tests that install an <see cref="System.Diagnostics.ActivityListener"/> on kedge's sources run alone: a listener sees
/// every source of a name in the process, and turns kedge's spans and traceparent rewriting on for every other test
/// running at the same time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideListeners
{
    public const string Name = "Process-wide activity listeners";
}
