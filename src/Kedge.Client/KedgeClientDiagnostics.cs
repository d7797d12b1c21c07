namespace Kedge.Client;

/// <summary>
/// The names under which Kedge.Client reports traces and metrics, for <c>AddSource</c> / <c>AddMeter</c> (OpenTelemetry)
/// or an <see cref="System.Diagnostics.ActivityListener"/> / <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// </summary>
/// <remarks>
/// Nothing is recorded unless something listens: without a listener on <see cref="ActivitySourceName"/> no span is
/// created, and the current trace context (if any) is still sent to kedge as <c>traceparent</c>.
/// </remarks>
public static class KedgeClientDiagnostics
{
    /// <summary>
    /// <c>Kedge.Client</c>: the <see cref="System.Diagnostics.ActivitySource"/> with one client span per call sent through
    /// kedge (HTTP and gRPC alike), named <c>kedge {METHOD}</c> (<c>_OTHER</c> for a method outside the standard ones), with the tags <c>kedge.target</c> (the target's authority),
    /// <c>kedge.url</c> (the kedge the call went to), <c>kedge.mapping_rule</c> (the mapper or rule that chose it),
    /// <c>http.request.method</c>, <c>server.address</c>, <c>server.port</c>, <c>http.response.status_code</c>,
    /// <c>rpc.grpc.status_code</c> (a trailers-only gRPC answer) and, on
    /// failure, <c>error.type</c> (kedge's <c>X-Kedge-Error-Type</c> when kedge refused the call). The span is the parent of
    /// kedge's server span: the <c>traceparent</c> sent to kedge names it.
    /// </summary>
    public const string ActivitySourceName = "Kedge.Client";

    /// <summary>
    /// <c>Kedge.Client</c>: the <see cref="System.Diagnostics.Metrics.Meter"/> with the counters
    /// <c>kedge.client.requests</c> (tags <c>kedge.mapping_rule</c>, the rule of the configuration that chose the kedge,
    /// for example <c>suffix mapper '*.kedge'</c>, never the target or a kedge URL built from it, and <c>outcome</c>:
    /// <c>ok</c>, <c>kedge-error</c>, <c>transport-error</c>, <c>token-error</c> or <c>cancelled</c>),
    /// <c>kedge.client.mapping_failures</c>, <c>kedge.client.certificate_reloads</c> (tags <c>certificate</c>:
    /// <c>client</c> or <c>kedge-ca</c>, and <c>result</c>: <c>success</c> or <c>failure</c>) and
    /// <c>kedge.client.token_refreshes</c> (tags <c>source</c>, the token source's name, and <c>result</c>). With
    /// <c>AddKedgeClient</c> the meter comes from the application's <c>IMeterFactory</c>; otherwise it is one static meter.
    /// </summary>
    public const string MeterName = "Kedge.Client";
}
