namespace Kedge.Client.Failover;

/// <summary>
/// Sits between grpc-dotnet's balancer (which has pointed the call's URI at the kedge it picked) and
/// <see cref="Http.KedgeHttpMessageHandler"/>: it records the picked kedge on the request and puts the target back in
/// the URI, so the handler maps the target as for any call (route, tokens, trace, errors) and sends it to that kedge.
/// </summary>
internal sealed class KedgeBalancedCallHandler : DelegatingHandler
{
    /// <summary>The kedge grpc-dotnet's balancer picked for the call.</summary>
    public static readonly HttpRequestOptionsKey<KedgeEndpoint> PickedKedge = new("Kedge.PickedKedge");

    private readonly string _targetPrefix;
    private readonly KedgeEndpoint[] _kedges;

    /// <param name="target">The channel's target, <c>http://host[:port]</c> as <see cref="Grpc.KedgeChannel"/> parsed it.</param>
    /// <param name="kedges">The kedges the resolver gave the balancer.</param>
    /// <param name="innerHandler">The kedge handler.</param>
    public KedgeBalancedCallHandler(Uri target, KedgeEndpoint[] kedges, HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
        _targetPrefix = target.GetLeftPart(UriPartial.Authority);
        _kedges = kedges;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        foreach (var kedge in _kedges)
        {
            if (kedge.Url.Port == uri.Port && string.Equals(kedge.Url.IdnHost.Trim('[', ']'), uri.IdnHost.Trim('[', ']'), StringComparison.OrdinalIgnoreCase))
            {
                request.Options.Set(PickedKedge, kedge);
                break;
            }
        }

        request.RequestUri = new Uri(_targetPrefix + uri.PathAndQuery);
        return base.SendAsync(request, cancellationToken);
    }
}
