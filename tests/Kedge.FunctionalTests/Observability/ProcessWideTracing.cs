namespace Kedge.FunctionalTests.Observability;

/// <summary>
/// Tests whose TracerProvider listens to a product's ActivitySource (<c>Kedge.Client</c>) run alone: a listener samples
/// that source in the whole test process, so a parallel test's calls would start spans and carry <c>traceparent</c>
/// headers they do not otherwise send.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideTracing
{
    public const string Name = "Process-wide tracing (a listener on a product's ActivitySource)";
}
