using Kedge.Client.Internal;
using Kedge.Client.Tokens;

namespace Kedge.Client.Mapping;

internal sealed class SuffixMapper : KedgeMapper
{
    private readonly string[] _patternLabels;
    private readonly string _kedgeSuffix;
    private readonly string _scheme;
    private readonly KedgeTokenSource? _proxyAuth;
    private readonly KedgeTokenSource? _backendAuth;
    private readonly BoundedCache<string, KedgeRoute?> _cache = new(capacity: 4096, StringComparer.OrdinalIgnoreCase);

    public SuffixMapper(string pattern, string kedgeSuffix, string scheme, KedgeTokenSource? proxyAuth, KedgeTokenSource? backendAuth)
        : base($"suffix mapper '{pattern}'")
    {
        Validate(pattern, kedgeSuffix, scheme);
        _patternLabels = pattern.Split('.');
        _kedgeSuffix = kedgeSuffix;
        _scheme = scheme.ToLowerInvariant();
        _proxyAuth = proxyAuth;
        _backendAuth = backendAuth;
    }

    /// <summary>Checks the arguments, with the Go kedge messages plus how to fix them.</summary>
    internal static void Validate(string? pattern, string? kedgeSuffix, string? scheme)
    {
        if (string.IsNullOrEmpty(kedgeSuffix) || !kedgeSuffix.StartsWith('.'))
        {
            throw new ArgumentException($"suffixMapper needs to start with a dot: the kedge suffix '{kedgeSuffix}' must start with '.', for example '.kedge.example.com'.", nameof(kedgeSuffix));
        }

        if (string.IsNullOrEmpty(pattern) || !pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"matchPattern must start with a wildcard match *.: the pattern '{pattern}' must start with '*.', for example '*.kedge'.", nameof(pattern));
        }

        if (pattern.Split('.').Any(l => l.Length == 0))
        {
            throw new ArgumentException($"The pattern '{pattern}' has an empty label; use labels separated by single dots, for example '*.*.clusters.local'.", nameof(pattern));
        }

        if (!string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase) && !string.Equals(scheme, "http", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"scheme must be http or https: got '{scheme}'.", nameof(scheme));
        }

        if (!Uri.TryCreate(scheme + "://x" + kedgeSuffix, UriKind.Absolute, out var probe) || probe.AbsolutePath != "/")
        {
            throw new ArgumentException($"The kedge suffix '{kedgeSuffix}' does not form a valid host name; use a DNS suffix such as '.kedge.example.com' (optionally with ':port').", nameof(kedgeSuffix));
        }
    }

    internal override IEnumerable<KedgeTokenSource> TokenSources => new[] { _proxyAuth, _backendAuth }.OfType<KedgeTokenSource>();

    protected override KedgeRoute? MapCore(string host, int? port)
    {
        if (_cache.TryGetValue(host, out var cached))
        {
            return cached;
        }

        var route = Compute(host);
        _cache.Set(host, route);
        return route;
    }

    private KedgeRoute? Compute(string host)
    {
        var hostLabels = host.TrimEnd('.').Split('.');
        if (hostLabels.Length < _patternLabels.Length)
        {
            return null;
        }

        var offset = hostLabels.Length - _patternLabels.Length;
        var captured = new List<string>(_patternLabels.Length);
        for (var i = 0; i < _patternLabels.Length; i++)
        {
            var label = hostLabels[offset + i];
            if (_patternLabels[i] == "*")
            {
                if (label.Length == 0)
                {
                    return null;
                }

                captured.Add(label);
            }
            else if (!string.Equals(_patternLabels[i], label, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        // A captured label becomes part of the kedge host: it must not be able to end the host early ("com#").
        if (captured.Find(label => !DnsLabel.IsValid(label)) is { } invalid)
        {
            throw new KedgeMappingException($"The {Description} captured '{invalid}' from '{host}', which is not a single DNS label ({DnsLabel.Described}); call the target by its DNS name.");
        }

        var url = new Uri(_scheme + "://" + string.Join('.', captured).ToLowerInvariant() + _kedgeSuffix);
        return new KedgeRoute(url) { ProxyAuth = _proxyAuth, BackendAuth = _backendAuth };
    }
}
