using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kedge.Client.Internal;
using Kedge.Client.Tokens;

namespace Kedge.Client.Mapping;

internal sealed class RegexMapper : KedgeMapper
{
    private static readonly Regex TemplateReference = new(@"\$\{(?<name>[A-Za-z0-9_]+)\}", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private readonly Regex _regex;
    private readonly string _urlTemplate;
    private readonly KedgeTokenSource? _proxyAuth;
    private readonly KedgeTokenSource? _backendAuth;
    private readonly BoundedCache<(string Host, int? Port), KedgeRoute?> _cache = new(capacity: 4096, HostPortComparer.Instance);

    public RegexMapper(string pattern, string urlTemplate, KedgeTokenSource? proxyAuth, KedgeTokenSource? backendAuth)
        : base($"regexp mapper '{pattern}'")
    {
        _regex = Compile(pattern, urlTemplate);
        _urlTemplate = urlTemplate;
        _proxyAuth = proxyAuth;
        _backendAuth = backendAuth;
    }

    /// <summary>Compiles a pattern (Go's <c>(?P&lt;name&gt;</c> accepted) and checks the template against its groups.</summary>
    internal static Regex Compile(string? pattern, string? urlTemplate)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            throw new ArgumentException("The regexp pattern is empty; give a pattern such as '^(?<cluster>[a-z0-9-]+)\\.internal$'.", nameof(pattern));
        }

        if (string.IsNullOrEmpty(urlTemplate))
        {
            throw new ArgumentException("The URL template is empty; give one such as 'https://${cluster}.kedge.example.com'.", nameof(urlTemplate));
        }

        Regex regex;
        try
        {
            // NonBacktracking: linear time in the input whatever the pattern, as Go's RE2 guarantees.
            regex = new Regex(
                pattern.Replace("(?P<", "(?<", StringComparison.Ordinal),
                RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new ArgumentException($"The regexp pattern '{pattern}' does not compile: {ex.Message}", nameof(pattern), ex);
        }

        var groups = regex.GetGroupNames();
        foreach (Match reference in TemplateReference.Matches(urlTemplate))
        {
            var name = reference.Groups["name"].Value;
            if (!groups.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException(
                    $"The URL template '{urlTemplate}' uses '${{{name}}}', but the pattern '{pattern}' has no group of that name; add '(?<{name}>...)' to the pattern.",
                    nameof(urlTemplate));
            }
        }

        // Checked here rather than per target: the route check would name the mapped URL, user info and all, in errors.
        var probe = TemplateReference.Replace(urlTemplate, "x");
        if (Uri.TryCreate(probe, UriKind.Absolute, out var probeUrl) && probeUrl.UserInfo.Length != 0)
        {
            throw new ArgumentException(KedgeRoute.UserInfoMessage($"{probeUrl.Scheme}://{probeUrl.Authority}") + " (in the URL template of the regexp mapper)", nameof(urlTemplate));
        }

        return regex;
    }

    internal override IEnumerable<KedgeTokenSource> TokenSources => new[] { _proxyAuth, _backendAuth }.OfType<KedgeTokenSource>();

    protected override KedgeRoute? MapCore(string host, int? port)
    {
        if (_cache.TryGetValue((host, port), out var cached))
        {
            return cached;
        }

        var route = Compute(host, port);
        _cache.Set((host, port), route);
        return route;
    }

    private KedgeRoute? Compute(string host, int? port)
    {
        var input = port is { } p ? host + ":" + p.ToString(CultureInfo.InvariantCulture) : host;
        var match = _regex.Match(input);
        if (!match.Success)
        {
            return null;
        }

        var url = TemplateReference.Replace(_urlTemplate, m =>
        {
            // A captured value is one DNS label: a target name must never be able to choose some other host (or port,
            // user info or path) to send its credentials to.
            var value = match.Groups[m.Groups["name"].Value].Value;
            // An empty capture is left to the URL check below, which names the template.
            return value.Length > 0 && !DnsLabel.IsValid(value)
                ? throw new KedgeMappingException($"The {Description} captured '{value}' for '${{{m.Groups["name"].Value}}}' from '{input}', which is not a single DNS label ({DnsLabel.Described}); tighten the pattern so the group cannot match dots, colons or slashes.")
                : value;
        });
        if (!Uri.TryCreate(url, UriKind.Absolute, out var kedgeUrl))
        {
            throw new KedgeMappingException($"The {Description} mapped '{input}' to '{url}', which is not a valid URL; check the URL template '{_urlTemplate}'.");
        }

        try
        {
            return new KedgeRoute(new Uri(kedgeUrl.GetLeftPart(UriPartial.Authority))) { ProxyAuth = _proxyAuth, BackendAuth = _backendAuth };
        }
        catch (ArgumentException ex)
        {
            var reason = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            throw new KedgeMappingException($"The {Description} mapped '{input}' to '{url}': {reason} Check the URL template '{_urlTemplate}'.", ex);
        }
    }
}
