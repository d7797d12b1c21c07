using Kedge.Client.Tokens;

namespace Kedge.Client.Mapping;

internal sealed class FirstMatchMapper : KedgeMapper
{
    private readonly KedgeMapper[] _mappers;

    public FirstMatchMapper(IEnumerable<KedgeMapper> mappers)
        : base("first-match mapper")
    {
        ArgumentNullException.ThrowIfNull(mappers);
        _mappers = [.. mappers];
        if (Array.IndexOf(_mappers, null) >= 0)
        {
            throw new ArgumentException("The list of mappers contains null.", nameof(mappers));
        }
    }

    internal IReadOnlyList<KedgeMapper> Mappers => _mappers;

    internal override IEnumerable<KedgeTokenSource> TokenSources => _mappers.SelectMany(m => m.TokenSources);

    protected override KedgeRoute? MapCore(string host, int? port)
    {
        foreach (var mapper in _mappers)
        {
            if (mapper.Map(host, port) is { } route)
            {
                return route;
            }
        }

        return null;
    }

    internal override KedgeRoute? Map(string host, int? port, out string rule)
    {
        CheckTarget(host, port);
        foreach (var mapper in _mappers)
        {
            if (mapper.Map(host, port, out rule) is { } route)
            {
                return route;
            }
        }

        rule = Description;
        return null;
    }
}
