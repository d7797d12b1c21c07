using System.Globalization;
using Kedge.Client.Tokens;

namespace Kedge.Client.Mapping;

internal sealed class DirectMapper : KedgeMapper
{
    private readonly Dictionary<TargetKey, KedgeRoute> _routes;
    private readonly Dictionary<TargetKey, string> _rules;

    public DirectMapper(IEnumerable<KeyValuePair<string, KedgeRoute>> routes)
        : base("direct mapper")
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = new Dictionary<TargetKey, KedgeRoute>(TargetKey.Comparer);
        _rules = new Dictionary<TargetKey, string>(TargetKey.Comparer);
        foreach (var (key, route) in routes)
        {
            ArgumentNullException.ThrowIfNull(route);
            var parsed = ParseKey(key);
            if (!_routes.TryAdd(parsed, route))
            {
                throw new ArgumentException($"The direct mapper key '{key}' is given twice; keep one.", nameof(routes));
            }

            _rules[parsed] = $"direct mapper '{key}'";
        }
    }

    /// <summary>Parses <c>host</c> or <c>host:port</c>.</summary>
    internal static TargetKey ParseKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Contains('/', StringComparison.Ordinal) || key.Contains('[', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The direct mapper key '{key}' must be 'host' or 'host:port', for example 'legacy.internal:8080'.", nameof(key));
        }

        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new TargetKey(key, null);
        }

        if (colon == 0 || !int.TryParse(key.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"The direct mapper key '{key}' must be 'host' or 'host:port' with a port from 1 to 65535, for example 'legacy.internal:8080'.", nameof(key));
        }

        return new TargetKey(key[..colon], port);
    }

    internal override IEnumerable<KedgeTokenSource> TokenSources => _routes.Values.SelectMany(RouteTokenSources);

    protected override KedgeRoute? MapCore(string host, int? port)
    {
        if (port is not null && _routes.TryGetValue(new TargetKey(host, port), out var withPort))
        {
            return withPort;
        }

        return _routes.TryGetValue(new TargetKey(host, null), out var hostOnly) ? hostOnly : null;
    }

    internal override KedgeRoute? Map(string host, int? port, out string rule)
    {
        CheckTarget(host, port);
        if (port is not null && _routes.TryGetValue(new TargetKey(host, port), out var withPort))
        {
            rule = _rules[new TargetKey(host, port)];
            return withPort;
        }

        if (_routes.TryGetValue(new TargetKey(host, null), out var hostOnly))
        {
            rule = _rules[new TargetKey(host, null)];
            return hostOnly;
        }

        rule = Description;
        return null;
    }

    internal readonly record struct TargetKey(string Host, int? Port)
    {
        public static readonly IEqualityComparer<TargetKey> Comparer = new KeyComparer();

        private sealed class KeyComparer : IEqualityComparer<TargetKey>
        {
            public bool Equals(TargetKey x, TargetKey y)
                => x.Port == y.Port && string.Equals(x.Host.TrimEnd('.'), y.Host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

            public int GetHashCode(TargetKey obj)
                => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Host.TrimEnd('.')), obj.Port);
        }
    }
}
