using System.Diagnostics;
using Kedge.Server.Observability;

namespace Kedge.Server.Tests.Observability;

[Collection(ProcessWideListeners.Name)] // one test listens to Kedge.Server
public sealed class KedgeTracePropagatorTests
{
    private const string CallerTraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly DistributedContextPropagator.PropagatorSetterCallback Setter =
        static (carrier, name, value) => ((HttpRequestMessage)carrier!).Headers.TryAddWithoutValidation(name, value);

    [Fact]
    public void Inject_ActivityThatIsNotUnderAKedgeSpan_CallersHeadersUntouched()
    {
        // What another listener in the process (a test host, a library) makes for kedge's backend call when kedge traces nothing.
        using var foreign = new Activity("System.Net.Http.HttpRequestOut").Start();
        using var request = CallersRequest();

        new KedgeTracePropagator(DistributedContextPropagator.CreateW3CPropagator()).Inject(foreign, request, Setter);

        Assert.Equal(CallerTraceParent, request.Headers.GetValues("traceparent").Single());
        Assert.Equal("caller=1", request.Headers.GetValues("tracestate").Single());
    }

    [Fact]
    public void Inject_HttpClientActivityUnderKedgeSpan_KedgesSpanReplacesCallersContext()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source == KedgeTracing.Source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        Assert.True(ActivityContext.TryParse(CallerTraceParent, null, out var caller));
        using var span = KedgeTracing.Source.StartActivity(KedgeTracing.ServerSpanName, ActivityKind.Server, caller)!;
        // SocketsHttpHandler's own activity under the current one, which no one exports.
        using var client = new Activity("System.Net.Http.HttpRequestOut").Start();
        using var request = CallersRequest();

        new KedgeTracePropagator(DistributedContextPropagator.CreateW3CPropagator()).Inject(client, request, Setter);

        Assert.Equal($"00-{caller.TraceId}-{span.SpanId}-01", request.Headers.GetValues("traceparent").Single());
        Assert.False(request.Headers.Contains("tracestate")); // the span carries none: the caller's is not sent twice
    }

    private static HttpRequestMessage CallersRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://backend/");
        request.Headers.TryAddWithoutValidation("traceparent", CallerTraceParent);
        request.Headers.TryAddWithoutValidation("tracestate", "caller=1");
        return request;
    }
}
