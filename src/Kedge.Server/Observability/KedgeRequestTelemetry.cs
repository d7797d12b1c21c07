using System.Diagnostics;
using Kedge.Server.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Kedge.Server.Observability;

/// <summary>
/// The one place every request kedge answers on its proxy ports is observed: it starts the clock, hands the request to
/// the proxy with a <see cref="KedgeRequestFeature"/> to fill in, and records the outcome once the response is done.
/// </summary>
internal sealed class KedgeRequestTelemetry(KedgeProxyMiddleware proxy, KedgeMetrics metrics)
{
    // Not async on the common path: a request the proxy finishes synchronously (a refusal) costs no state machine.
    public Task InvokeAsync(HttpContext context)
    {
        var feature = new KedgeRequestFeature(Stopwatch.GetTimestamp());
        context.Features.Set(feature);
        Task proxied;
        try
        {
            proxied = proxy.InvokeAsync(context);
        }
        catch
        {
            Complete(context, feature);
            throw;
        }

        if (proxied.IsCompletedSuccessfully)
        {
            Complete(context, feature);
            return Task.CompletedTask;
        }

        return AwaitThenCompleteAsync(proxied, context, feature);
    }

    private async Task AwaitThenCompleteAsync(Task proxied, HttpContext context, KedgeRequestFeature feature)
    {
        try
        {
            await proxied;
        }
        finally
        {
            Complete(context, feature);
        }
    }

    private void Complete(HttpContext context, KedgeRequestFeature feature)
        => metrics.RequestCompleted(context, feature, Stopwatch.GetTimestamp() - feature.StartTimestamp);
}
