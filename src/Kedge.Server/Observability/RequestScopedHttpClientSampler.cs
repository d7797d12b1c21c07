using OpenTelemetry.Trace;

namespace Kedge.Server.Observability;

/// <summary>
/// The configured sampler (OTEL_TRACES_SAMPLER, by default parent-based always-on), except that an HTTP client span
/// with no parent is dropped: kedge's own calls outside a request (the Kubernetes API watches, OIDC key fetches) would
/// otherwise each start a trace of their own.
/// </summary>
internal sealed class RequestScopedHttpClientSampler(Sampler inner) : Sampler
{
    private const string HttpClientActivity = "System.Net.Http.HttpRequestOut";

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        => samplingParameters.ParentContext.TraceId == default && samplingParameters.Name == HttpClientActivity
            ? new SamplingResult(SamplingDecision.Drop)
            : inner.ShouldSample(samplingParameters);
}
