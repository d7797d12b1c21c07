using Kedge.Client.Tokens;

namespace Kedge.Client.Mapping;

internal sealed class SingleMapper : KedgeMapper
{
    private readonly KedgeRoute _route;

    public SingleMapper(KedgeRoute route)
        : base($"single mapper '{route.KedgeUrl.GetLeftPart(UriPartial.Authority)}'")
    {
        _route = route;
    }

    protected override KedgeRoute? MapCore(string host, int? port) => _route;

    internal override IEnumerable<KedgeTokenSource> TokenSources => RouteTokenSources(_route);
}
