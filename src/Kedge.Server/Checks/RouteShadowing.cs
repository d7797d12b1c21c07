using System.Globalization;
using Kedge.Server.Configuration;
using Kedge.Server.Routing;

namespace Kedge.Server.Checks;

/// <summary>
/// Whether an earlier route takes every request a later one matches, by the matching rules of <see cref="HttpRoute"/>
/// and <see cref="GrpcRoute"/> (first match wins, authorization never passes a request on): each matcher of the earlier
/// route must accept everything the later one's accepts. Only what is provable is reported: matchers that merely
/// overlap are not shadowing.
/// </summary>
internal static class RouteShadowing
{
    /// <summary>Why <paramref name="earlier"/> takes every request <paramref name="later"/> matches, or <see langword="null"/> when it does not.</summary>
    public static string? Covers(HttpRoute earlier, HttpRoute later)
    {
        var why = new List<string>();
        if (earlier.Host is null)
        {
            why.Add("any host");
        }
        else if (later.Host is not null && string.Equals(earlier.Host, later.Host, StringComparison.OrdinalIgnoreCase))
        {
            why.Add($"the same host '{earlier.Host}'");
        }
        else
        {
            return null;
        }

        if (earlier.Port == 0)
        {
            why.Add("any port");
        }
        else if (earlier.Port == later.Port)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"the same port {earlier.Port}"));
        }
        else
        {
            return null;
        }

        if (earlier.ProxyMode != ProxyMode.Any)
        {
            if (earlier.ProxyMode != later.ProxyMode)
            {
                return null;
            }

            why.Add($"the same proxy mode {earlier.ProxyMode}");
        }

        if (earlier.AnyPath)
        {
            why.Add("any path");
        }
        else
        {
            // A later route without path rules takes paths the earlier one's rules leave; one with rules that match
            // nothing matches nothing at all (not shadowing). An earlier route that takes ambiguous paths as decoded
            // leaves the later, refusing one the ambiguous paths only its raw or lenient reading matches.
            if (later.AnyPath || (later.ExactPaths.Count == 0 && later.PathPrefixes.Count == 0) || (earlier.AllowAmbiguousPaths && !later.AllowAmbiguousPaths))
            {
                return null;
            }

            if (!later.ExactPaths.All(path => earlier.ExactPaths.Contains(path, StringComparer.Ordinal) || earlier.PathPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal)))
                || !later.PathPrefixes.All(prefix => earlier.PathPrefixes.Any(p => prefix.StartsWith(p, StringComparison.Ordinal))))
            {
                return null;
            }

            why.Add($"path rules {Rules(earlier)} that take every path of {Rules(later)}");
        }

        return Matchers(earlier.Headers, later.Headers, "header", why) ? string.Join(", ", why) : null;
    }

    /// <summary>Why <paramref name="earlier"/> takes every call <paramref name="later"/> matches, or <see langword="null"/> when it does not.</summary>
    public static string? Covers(GrpcRoute earlier, GrpcRoute later)
    {
        var why = new List<string>();
        if (later.ServiceName?.Contains('/', StringComparison.Ordinal) == true || earlier.ServiceName?.Contains('/', StringComparison.Ordinal) == true)
        {
            // A service matcher with a '/' inside matches no method at all.
            return null;
        }

        if (earlier.ServicePrefix is null && earlier.ServiceName is null)
        {
            why.Add("any service");
        }
        else if (earlier.ServicePrefix is { } prefix)
        {
            var covered = later.ServicePrefix is { } laterPrefix ? laterPrefix.StartsWith(prefix, StringComparison.Ordinal)
                : later.ServiceName is { } laterName && (laterName + "/").StartsWith(prefix, StringComparison.Ordinal);
            if (!covered)
            {
                return null;
            }

            why.Add($"the service prefix '{prefix}*'");
        }
        else
        {
            var name = earlier.ServiceName!;
            var covered = later.ServiceName is { } laterName ? string.Equals(name, laterName, StringComparison.Ordinal)
                : later.ServicePrefix is { } laterPrefix && laterPrefix.StartsWith(name + "/", StringComparison.Ordinal);
            if (!covered)
            {
                return null;
            }

            why.Add($"every method of '{name}'");
        }

        if (earlier.AuthorityHost is null)
        {
            why.Add("any authority");
        }
        else if (later.AuthorityHost is not null && string.Equals(earlier.AuthorityHost, later.AuthorityHost, StringComparison.OrdinalIgnoreCase))
        {
            why.Add($"the same authority host '{earlier.AuthorityHost}'");
        }
        else
        {
            return null;
        }

        if (earlier.AuthorityPort != 0)
        {
            if (earlier.AuthorityPort != later.AuthorityPort)
            {
                return null;
            }

            why.Add(string.Create(CultureInfo.InvariantCulture, $"the same authority port {earlier.AuthorityPort}"));
        }

        return Matchers(earlier.Metadata, later.Metadata, "metadata", why) ? string.Join(", ", why) : null;
    }

    /// <summary>Every header (metadata) the earlier route needs, the later one needs too, with the same value.</summary>
    private static bool Matchers(IReadOnlyList<KeyValuePair<string, string>> earlier, IReadOnlyList<KeyValuePair<string, string>> later, string what, List<string> why)
    {
        if (earlier.Count == 0)
        {
            if (later.Count > 0)
            {
                why.Add($"no {what} matcher");
            }

            return true;
        }

        if (!earlier.All(e => later.Any(l => string.Equals(e.Key, l.Key, StringComparison.OrdinalIgnoreCase) && string.Equals(e.Value, l.Value, StringComparison.Ordinal))))
        {
            return false;
        }

        // Names only: a matcher's value may be a secret (an API key), and check output is pasted into tickets.
        why.Add($"{what} {string.Join(", ", earlier.Select(e => e.Key))} (the same value{(earlier.Count == 1 ? string.Empty : "s")}), which it needs too");
        return true;
    }

    private static string Rules(HttpRoute route) => string.Join(", ", route.ExactPaths.Concat(route.PathPrefixes.Select(p => p + "*")));
}
